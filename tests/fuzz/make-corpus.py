#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/:
tiny valid inputs in each target's input format (see each fuzz_*.c), a few
hundred bytes each. Run from anywhere; the seeds are committed, so this is
only needed to change them."""
import gzip, hashlib, json, os, shutil, struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
FIXTURES = os.path.join(HERE, "..", "fixtures")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(b):
    return gzip.compress(b, compresslevel=9, mtime=0)


# ---- IDX: flags, u16 images length, images file, labels file ----
def idx(magic, dims, data):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + data


images = idx(0x803, [3, 2, 2], bytes([0, 255, 17, 0, 3, 0, 0, 9, 128, 1, 2, 3]))
labels = idx(0x801, [3], bytes([0, 9, 4]))


def idx_case(flags, im, lb):
    return bytes([flags]) + struct.pack("<H", len(im)) + im + lb


put("idx", "raw", idx_case(0x00, images, labels))
put("idx", "gzip-by-harness", idx_case(0x05, images, labels))
put("idx", "gzip-bytes", idx_case(0x0A, gz(images), gz(labels)))
put("idx", "gzip-raw-name-t10k", idx_case(0x1F, images, labels))
put("idx", "one-image", idx_case(0x00, idx(0x803, [1, 1, 1], b"\x07"), idx(0x801, [1], b"\x05")))

# ---- reviews.json: mode byte, then the file ----
js = json.dumps([{"t": "Great film<br />caf\u00e9", "s": 0}, {"t": "Bad.", "s": 1}],
                ensure_ascii=False).encode()
put("imdb_json", "raw", b"\x00" + js)
put("imdb_json", "gzip-by-harness", b"\x01" + js)
put("imdb_json", "gzip-bytes", b"\x02" + gz(js))
put("imdb_json", "gzip-magic", b"\x03" + b'[{"t":"x","s":2},{"s":0}]')
put("imdb_json", "escapes", b"\x00" + b'[{"t":"a\\u00e9\\ud83d\\ude00\\n","s":0}]')

# ---- aclImdb: [name \n] text ----
put("aclimdb", "named", b"5_3.txt\nA good movie.<br /><br />Really GOOD, don't miss it.")
put("aclimdb", "unnamed", "Caf\u00e9 na\u00efve \u65e5\u672c 123".encode())
put("aclimdb", "bad-name", b"x_3.txt\nwhatever")
put("aclimdb", "ignored-name", b"notes.md\nnot a review")

# ---- tokenizer: vocab size byte, max_len byte, reviews split at NUL ----
put("tokenizer", "reviews",
    b"\x10\x08The film<br />was GREAT, don't miss it!\x00caf\xc3\xa9 na\xc3\xafve the\x00\x00film")
put("tokenizer", "vocab-string", b"\x04\x03<pad>\n<unk>\nthe\nfilm\ncaf\xc3\xa9\n")
put("tokenizer", "utf8", b"\xff\x3f\xf0\x9f\x98\x80 \xe2\x82\xac\xed\x9f\xbf \xf4\x8f\xbf\xbf x")


# ---- safetensors ----
def safetensors(tensors, meta=None, pad=True):
    """tensors: list of (name, dtype, shape, bytes) in file order."""
    header, off, blob = {}, 0, b""
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        off += len(data)
        blob += data
    if meta is not None:
        header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


f32 = lambda *v: struct.pack("<%df" % len(v), *v)
i32 = lambda *v: struct.pack("<%di" % len(v), *v)
put("safetensors", "mixed", safetensors(
    [("a", "F32", [2, 2], f32(1, -2, 3.5, float("nan"))), ("ids", "I32", [3], i32(7, -1, 42)),
     ("scalar", "F32", [], f32(0.5)), ("empty", "F32", [0, 4], b"")],
    {"format": "x", "note": "caf\u00e9"}))
put("safetensors", "empty-header", safetensors([], None, pad=False))
for stem in ("sum_squares_1", "add_1"):
    shutil.copy(os.path.join(FIXTURES, stem + ".safetensors"), os.path.join(OUT, "safetensors", stem))

# ---- checkpoints: the fuzz target's model (w [2,3], b [2], one moment) ----
def checkpoint(tensors, meta):
    tensors = sorted(tensors)
    meta = dict(meta, format="nnsimd-checkpoint-1",
                sha256=hashlib.sha256(b"".join(t[3] for t in tensors)).hexdigest())
    return safetensors(tensors, meta)


w, b = f32(1, 2, 3, 4, 5, 6), f32(-1, 1)
put("checkpoint", "mlp-like", checkpoint(
    [("w", "F32", [2, 3], w), ("b", "F32", [2], b),
     ("optimizer.exp_avg.w", "F32", [2, 3], w), ("optimizer.exp_avg.b", "F32", [2], b)],
    {"model": "mlp", "config": "3-2 relu", "step": "5", "epoch": "1", "position": "40",
     "seed": "1", "rng": "0123456789abcdef" * 4}))
put("checkpoint", "with-vocab", checkpoint(
    [("w", "F32", [2, 3], w), ("b", "F32", [2], b)],
    {"model": "transformer", "vocab": "<pad>\n<unk>\nthe\nfilm\nwas", "rng": "f" * 64}))

# ---- fixtures: the smallest real ones ----
os.makedirs(os.path.join(OUT, "fixture"), exist_ok=True)
for stem in ("sum_squares_1", "scale_1", "loss_mse_1"):
    shutil.copy(os.path.join(FIXTURES, stem + ".safetensors"), os.path.join(OUT, "fixture", stem))
