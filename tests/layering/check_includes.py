#!/usr/bin/env python3
"""Checks the folder layering of agent/ (../shared/docs/ARCHITECTURE.md) from its #include lines.

Usage: check_includes.py [REPO_ROOT]   (default: two folders above this script)

Prints one line per violation, `file:line: rule`, and exits 1 when there is any:
  - an include along a forbidden folder -> folder edge (table FORBIDDEN below);
  - getenv/environ outside agent/event/ (the only folder that reads the process environment);
  - an include of a module that the including module's jit_module(... DEPS ...) line in
    CMakeLists.txt does not reach, or a DEPS entry that none of the module's files includes
    (modules whose folder has no code yet are left out).
"""
import os
import re
import sys

# (from folder, to folder, why); folders are the first component under agent/, '*' = any other.
FORBIDDEN = [
    ("util", "*", "util/ depends on nothing else in agent/"),
    ("gitlab", "findings", "gitlab/ knows HTTP and GitLab, not findings"),
    ("report", "gitlab", "report/ knows findings, not GitLab's API"),
    ("controls", "publish", "controls/ return findings; publishing is the command layer's"),
    ("controls", "gitlab", "controls/ do not talk to GitLab"),
    ("controls", "event", "controls/ get explicit settings from cli/, not the environment or the event"),
    ("checkout", "event", "checkout/ gets a FetchRequest from cli/, not the environment or the event"),
    ("checkout", "controls", "checkout/ lists files (util::FileEntry); it knows no control"),
    ("checkout", "findings", "checkout/ counts into util::ScanStats; it knows no finding"),
    ("*", "cli", "cli/ is the top: nothing below it includes it"),
]
ENV_FOLDER = "event"

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]agent/([^">]+)[">]')
ENV_CALL = re.compile(r"\b(?:secure_getenv|getenv|setenv|unsetenv|putenv|environ)\b")
STRING_OR_CHAR = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'')
MODULE = re.compile(r"^\s*jit_module\(([^\s)]+)((?:\s+[^)]*)?)\)", re.M)


def modules_from_cmake(path):
    """{module folder: (set of DEPS, line)} from the jit_module(...) calls."""
    text = open(path, encoding="utf-8").read()
    out = {}
    for m in MODULE.finditer(text):
        words = m.group(2).split()
        deps = set(words[words.index("DEPS") + 1:]) if "DEPS" in words else set()
        out[m.group(1)] = (deps, text.count("\n", 0, m.start()) + 1)
    return out


def closure(modules, name):
    seen, todo = set(), list(modules.get(name, (set(), 0))[0])
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(modules.get(dep, (set(), 0))[0])
    return seen


def module_of(modules, rel_dir):
    """The longest module folder containing `rel_dir` (a folder under agent/), or None."""
    best = None
    for name in modules:
        if (rel_dir == name or rel_dir.startswith(name + "/")) and (best is None or len(name) > len(best)):
            best = name
    return best


def code_only(line):
    """The line without string/char literals and // comments (block comments are rare enough)."""
    return STRING_OR_CHAR.sub('""', line).split("//", 1)[0]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    agent = os.path.join(root, "agent")
    cmake = os.path.join(root, "CMakeLists.txt")
    modules = modules_from_cmake(cmake)
    violations, used, files, includes, populated = [], {}, 0, 0, set()
    for dirpath, dirnames, filenames in os.walk(agent):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith((".h", ".hpp", ".cpp", ".cc")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            rel_dir = os.path.relpath(dirpath, agent).replace(os.sep, "/")
            folder = "" if rel_dir == "." else rel_dir.split("/")[0]
            module = module_of(modules, rel_dir) if folder else None
            files += 1
            if module:
                populated.add(module)
            for lineno, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                where = f"{rel}:{lineno}"
                m = INCLUDE.match(line)
                if m:
                    includes += 1
                    target = m.group(1)
                    target_folder = target.split("/")[0] if "/" in target else ""
                    if not folder or not target_folder or target_folder == folder:
                        pass
                    else:
                        for src, dst, why in FORBIDDEN:
                            if src in ("*", folder) and dst in ("*", target_folder):
                                violations.append(f"{where}: {folder}/ -> {target_folder}/: {why}")
                                break
                    target_module = module_of(modules, os.path.dirname(target)) if target_folder else None
                    if module and target_module and target_module != module:
                        used.setdefault(module, set()).add(target_module)
                        if target_module not in closure(modules, module):
                            violations.append(
                                f"{where}: includes agent/{target}, but jit_module({module}) does not reach "
                                f"{target_module} through its DEPS (CMakeLists.txt:{modules[module][1]})")
                    continue
                if folder != ENV_FOLDER and ENV_CALL.search(code_only(line)):
                    violations.append(f"{where}: reads the process environment; only agent/{ENV_FOLDER}/ does "
                                      "(pass a util::Environment or explicit settings)")
    for module, (deps, line) in sorted(modules.items()):
        if module not in populated:
            continue  # a folder still without code (a placeholder) has nothing to check
        for dep in sorted(deps - used.get(module, set()) - (set(modules) - populated)):
            violations.append(f"CMakeLists.txt:{line}: jit_module({module}) DEPS {dep}, which none of its files includes")
    for v in violations:
        print(v)
    print(f"layering: {files} files, {includes} agent/ includes, {len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
