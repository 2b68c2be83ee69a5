# jit-agent's container image: what the dedicated Jit project's pipeline runs
# (templates/.gitlab-ci.yml). Two stages: a builder with the compiler and the -dev packages, and a
# runtime holding only the binary, the rule packs, the shared libraries and a compiled rule database.
#
#   docker build -t jit-agent .            (or: podman build -t jit-agent .)
#   docker run --rm -v "$PWD:/scan:ro" jit-agent scan /scan
#
# Built and exercised by tests/integration/test_image.py (buildah/podman, no Docker engine needed).

ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- builder ---------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS builder
# The same script developers use: enables bookworm-backports (libgit2 1.8 has shallow fetch).
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY agent/ agent/
COPY rules/ rules/
COPY schemas/ schemas/
COPY templates/.gitlab-ci.yml templates/.gitlab-ci.yml
# The ccache mount keeps objects between builds of the image (BuildKit and buildah/podman honour
# it; no `# syntax=` line, so BuildKit needs no frontend image from Docker Hub); the build folder
# itself is thrown away with this stage.
RUN --mount=type=cache,target=/root/.cache/ccache,id=jit-agent-ccache \
    cmake -S /src -B /tmp/build -DJIT_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_INSTALL_PREFIX=/usr/local \
 && cmake --build /tmp/build -j"$(nproc)" \
 && DESTDIR=/out cmake --install /tmp/build --strip \
 && rm -rf /tmp/build

# ---- tools: eslint, eslint-plugin-security and the SARIF formatter (npm) ----------------------
# Versions pinned in tools/eslint/package.json. Behind a TLS-intercepting proxy, give its CA:
#   podman build --secret id=npm-ca,src=/path/to/ca.pem .   (docker build --secret likewise)
FROM ${DEBIAN_IMAGE} AS tools
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY tools/ /src/tools/
COPY scripts/install-tools.sh /src/scripts/install-tools.sh
RUN --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && bash /src/scripts/install-tools.sh /out/tools \
 && rm -rf /root/.npm \
 && cd /out/tools/eslint/node_modules \
 && rm -rf typescript/lib/_tsc.js typescript/lib/tsc.js typescript/lib/_tsserver.js typescript/lib/tsserver.js \
      typescript/lib/tsserverlibrary.* typescript/lib/typingsInstaller.js typescript/lib/_typingsInstaller.js \
      typescript/lib/watchGuard.js typescript/lib/lib.*.d.ts typescript/lib/??/ typescript/lib/??-??/ \
 && find . -type f \( -name '*.md' -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete
# (eslint's TypeScript parser uses only the parser of typescript.js: the compiler and language
# server entry points, the lib .d.ts files and the message translations are not needed.)

# ---- runtime ---------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
# Where the source lives (set by the release pipeline: --build-arg SOURCE=<repository URL>).
ARG SOURCE=

# Only the shared libraries the binary links (readelf -d: NEEDED), the CA bundle that libgit2
# (mbedTLS) and libcurl read, and the external controls' tools: bandit (Python), flawfinder
# (C/C++), shellcheck (shell) from Debian, and Node.js for eslint (installed by the tools stage).
# No git, no compiler: Debian's bandit depends on GitPython and so on git and perl, which only its
# bandit-baseline command uses; they are purged to keep the image small. bookworm-backports
# comes from the mirror the base image's apt sources name.
RUN apt-get update -qq \
 && mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk '$2 == "bookworm" { print $1; exit }') \
 && test -n "$mirror" \
 && echo "deb ${mirror%/} bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libvectorscan5 libre2-9 libyaml-cpp0.7 libspdlog1.10 libcurl4 \
      libsqlite3-0 libzip4 libssl3 libdeflate0 \
      bandit flawfinder shellcheck nodejs \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -t bookworm-backports libgit2-1.8 \
 && apt-get clean \
 && dpkg --purge --force-depends git git-man liberror-perl perl perl-modules-5.36 libperl5.36 \
 && find /usr/lib/python3 -name __pycache__ -prune -exec rm -rf {} + \
 && find /usr/share/doc -type f ! -name copyright -delete \
 && rm -rf /usr/share/man/* /usr/share/info/* \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

COPY --from=builder /out/usr/local/ /usr/local/
# ${JIT_TOOLS_DIR} of the eslint preset: PREFIX/lib/jit-agent/tools beside the binary.
COPY --from=tools /out/tools/ /usr/local/lib/jit-agent/tools/

# A fixed non-root user; the state folders are group 0 and group-writable so that platforms running
# images under an arbitrary uid in group root (OpenShift) can use them too.
RUN groupadd --gid 10001 jit \
 && useradd --uid 10001 --gid jit --home-dir /home/jit --create-home --shell /usr/sbin/nologin jit \
 && mkdir -p /var/cache/jit-agent /var/lib/jit-agent/osv /scan \
 && chown -R jit:0 /var/cache/jit-agent /var/lib/jit-agent /scan \
 && chmod -R g+rwX /var/cache/jit-agent /var/lib/jit-agent /scan

ENV JIT_CACHE_DIR=/var/cache/jit-agent \
    JIT_DB_DIR=/var/lib/jit-agent/osv \
    LANG=C.UTF-8

USER 10001:10001
WORKDIR /scan

# Compile the built-in rules into $JIT_CACHE_DIR/hsdb now and prove every example: a pipeline then
# loads the database instead of compiling it (the template copies it into its GitLab cache).
RUN jit-agent rules check \
 && ls /var/cache/jit-agent/hsdb/*.hsdb >/dev/null

LABEL org.opencontainers.image.title="jit-agent" \
      org.opencontainers.image.description="Secrets, dependency and SAST scanning agent for GitLab CI (Jit)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.vendor="Jit" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

ENTRYPOINT ["jit-agent"]
CMD ["--help"]
