"""Shared plumbing of the Keras parity scripts: flags, thread limits, the same data files the notebooks
read, and the JSON the driver (scripts/parity.ts) reads back.

Every script takes its notebook's parameter names as flags (``--trainCount 4000``), so one settings
dict drives both sides, and ``--seeds 1,2,3`` to run several seeds in one process (TensorFlow's import
takes seconds). The last line on stdout is ``PARITY_JSON {...}``: one record dict per seed.
"""

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lean on a shared 2-core machine unless the caller says otherwise; must be set before TF loads.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402


def parse_args(description, defaults):
    """Flags named after the notebook's parameters (defaults: the seed's settings) plus --seeds/--out."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", default="1", help="comma-separated seeds (like tf.random.set_seed), default 1")
    parser.add_argument("--seed", type=int, help="one seed (same as --seeds N)")
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--verbose", type=int, default=0, help="Keras fit verbosity (0, 1 or 2)")
    for name, value in defaults.items():
        parser.add_argument(f"--{name}", type=type(value), default=value, help=f"default {value}")
    args = parser.parse_args()
    seeds = [args.seed] if args.seed is not None else [int(s) for s in args.seeds.split(",") if s.strip()]
    if not seeds:
        parser.error("--seeds needs at least one integer")
    settings = {name: getattr(args, name) for name in defaults}
    return args, seeds, settings


def run_seeds(args, seeds, settings, one_run):
    """Calls one_run(seed, settings) per seed with fresh Keras state, prints and writes the JSON."""
    import keras

    runs = []
    for seed in seeds:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)  # Python, numpy and TensorFlow, like the seed's set_seed(1) + np.random.seed(1)
        started = time.time()
        records = one_run(seed, settings)
        runs.append({"seed": seed, "seconds": round(time.time() - started, 2), "records": to_json(records)})
        print(f"seed {seed}: {json.dumps(runs[-1]['records'])}", file=sys.stderr, flush=True)
    result = {
        "script": Path(sys.argv[0]).name,
        "settings": settings,
        "versions": versions(),
        "runs": runs,
    }
    text = json.dumps(result)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print("PARITY_JSON " + text, flush=True)


def versions():
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def to_json(value):
    """numpy scalars and arrays to plain Python."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def data_dir(env, name):
    path = os.environ.get(env)
    if not path:
        sys.exit(f"error: set {env} to the folder holding the {name} files (the same one the notebooks read).")
    return Path(path)


def _read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    found = int.from_bytes(raw[0:4], "big")
    if found != magic:
        sys.exit(f"error: {path} has magic number {found}, not {magic}: not an MNIST IDX file.")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load_mnist(train_count, test_count):
    """The first N raw MNIST images (uint8, 28x28) and labels of each split, from BN_LAB_MNIST_DIR."""
    d = data_dir("BN_LAB_MNIST_DIR", "MNIST idx.gz")
    x_train = _read_idx(d / "train-images-idx3-ubyte.gz", 2051)
    y_train = _read_idx(d / "train-labels-idx1-ubyte.gz", 2049)
    x_test = _read_idx(d / "t10k-images-idx3-ubyte.gz", 2051)
    y_test = _read_idx(d / "t10k-labels-idx1-ubyte.gz", 2049)
    for split, count, have in (("training", train_count, len(x_train)), ("test", test_count, len(x_test))):
        if count > have:
            sys.exit(f"error: asked for {count} MNIST {split} images but {d} holds {have}.")
    return (x_train[:train_count], y_train[:train_count]), (x_test[:test_count], y_test[:test_count])


def lenet_input(images):
    """Seed 000's preprocessing: pad 28x28 to 32x32 with zeros, add the channel axis, scale to 0..1."""
    padded = np.pad(images, [[0, 0], [2, 2], [2, 2]], "constant")
    return (padded.reshape(-1, 32, 32, 1) / 255.0).astype("float32")


RECORD = 1 + 3 * 32 * 32


def _cifar_files(d):
    batches = d / "cifar-10-batches-bin"
    if batches.is_dir():
        d = batches
    official = [d / f"data_batch_{i}.bin" for i in range(1, 6)]
    if all(p.exists() for p in official) and (d / "test_batch.bin").exists():
        return d, official, [d / "test_batch.bin"]
    train = sorted(p for p in d.glob("train_*.bin"))
    test = sorted(p for p in d.glob("test_*.bin"))
    if not train or not test:
        sys.exit(f"error: no CIFAR-10 record files in {d} (data_batch_1..5.bin + test_batch.bin, or train_*.bin + test_*.bin).")
    return d, train, test


def _check_manifest(d, files):
    manifest = d / "SHA256SUMS"
    if not manifest.exists():
        return
    sums = dict(line.split()[::-1] for line in manifest.read_text().splitlines() if line.strip())
    for p in files:
        want = sums.get(p.name)
        if want and hashlib.sha256(p.read_bytes()).hexdigest() != want:
            sys.exit(f"error: {p} does not match its SHA256SUMS entry; the file is damaged.")


def _read_records(files, count, split, d):
    raw = b"".join(p.read_bytes() for p in files)
    if len(raw) % RECORD:
        sys.exit(f"error: CIFAR-10 {split} files in {d} are not whole {RECORD}-byte records.")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD)
    if count > len(records):
        sys.exit(f"error: asked for {count} CIFAR-10 {split} images but {d} holds {len(records)}.")
    records = records[:count]
    # Each record: label byte, then the red, green and blue 32x32 planes; Keras wants channels last.
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, records[:, 0].astype("int64")


def load_cifar10(train_count, test_count):
    """The first N raw CIFAR-10 images (uint8 NHWC) and labels of each split, from BN_LAB_CIFAR10_DIR."""
    d, train_files, test_files = _cifar_files(data_dir("BN_LAB_CIFAR10_DIR", "CIFAR-10 record"))
    _check_manifest(d, train_files + test_files)
    return _read_records(train_files, train_count, "training", d), _read_records(test_files, test_count, "test", d)


def load_iris():
    """scikit-learn's iris table: features (150x4 float) and class indices, from BN_LAB_IRIS_DIR or data/."""
    env = os.environ.get("BN_LAB_IRIS_DIR")
    path = Path(env) / "iris.csv" if env else ROOT / "data" / "iris.csv"
    lines = path.read_text().strip().splitlines()
    header = lines[0].split(",")
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    if len(rows) != int(header[0]):
        sys.exit(f"error: {path} says {header[0]} rows but holds {len(rows)}.")
    return rows[:, :4], rows[:, 4].astype("int64"), header[2:]


def image_2png(height=32, width=32):
    """data/2.png as seed 000 reads it: grayscale, 0..1, shaped [1, H, W, 1]."""
    import tensorflow as tf

    png = tf.io.decode_png(tf.io.read_file(str(ROOT / "data" / "2.png")), channels=3)
    gray = tf.image.rgb_to_grayscale(png)
    if gray.shape[0] != height or gray.shape[1] != width:
        gray = tf.image.resize(gray, (height, width))
    return (tf.cast(gray, "float32").numpy() / 255.0).reshape(1, height, width, 1)


def evaluate(model, x, y):
    """model.evaluate as a dict of floats (quiet)."""
    return {k: float(v) for k, v in model.evaluate(x, y, verbose=0, return_dict=True).items()}
