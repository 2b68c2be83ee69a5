#!/usr/bin/env python3
"""Generates N files of 10 MiB of mixed text with encoded runs (bench/decode.sh): gen-encoded-corpus.py DIR N [PLANTED]
(PLANTED: fraction of lines that are a base64-encoded fake GitHub token, default 0.0001)."""
import base64, os, random, sys, zlib
rng = random.Random(5)
D='0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
def b62(v):
    s=''
    while v: s=D[v%62]+s; v//=62
    return s.rjust(6,'0')
def pat():
    r=''.join(rng.choice(D) for _ in range(30)); return 'ghp_'+r+b62(zlib.crc32(r.encode()))
words = "the quick brown fox jumps over lazy dog config value server port user name password_hash token_id return if else for while".split()
def text_line():
    return ' '.join(rng.choice(words) for _ in range(rng.randint(4, 14)))
out = []
size = 0
target = 10 * 1024 * 1024
planted_fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0001
planted = 0
while size < target:
    k = rng.random()
    if k < planted_fraction:
        line = 'secret: ' + base64.b64encode(('token=' + pat()).encode()).decode(); planted += 1
    elif k < 0.55:
        line = text_line()
    elif k < 0.75:  # base64 of printable text (decodes, scanned again)
        line = 'data: ' + base64.b64encode(' '.join(text_line() for _ in range(rng.randint(1, 30))).encode()).decode()
    elif k < 0.85:  # base64 of binary
        line = 'blob: ' + base64.b64encode(os.urandom(rng.randint(30, 3000))).decode()
    elif k < 0.93:
        line = 'sha = ' + os.urandom(32).hex()
    elif k < 0.99:
        line = 'url = https://x.example.com/p?q=' + '%20'.join(rng.choice(words) for _ in range(8)) + '&r=%2Fa%2Fb'
    else:
        line = text_line()
    out.append(line)
    size += len(line) + 1
block = '\n'.join(out) + '\n'
n = int(sys.argv[2])
for i in range(n):
    with open(os.path.join(sys.argv[1], f'part{i:03d}.txt'), 'w') as f:
        f.write(block)
print('planted per file', planted, 'files', n)
