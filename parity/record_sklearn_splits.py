"""Records scikit-learn's train_test_split row indices for the numpy-compatible split test."""
import json, sys
import numpy as np, sklearn
from sklearn.model_selection import train_test_split

cases = []
for n, test_size, rs in [(150, 0.3, 0), (150, 0.3, 42), (150, 0.3, 777), (4000, 0.2, 777), (4000, 0.3, 777), (10, 0.25, 5), (50000, 0.3, 777)]:
    idx = np.arange(n)
    train, test = train_test_split(idx, test_size=test_size, random_state=rs)
    case = {"n": n, "test_size": test_size, "random_state": rs}
    if n <= 4000:
        case.update(train=train.tolist(), test=test.tolist())
    else:  # too big to store whole: the ends and a position-weighted checksum
        case.update(train_head=train[:50].tolist(), train_tail=train[-50:].tolist(), test_head=test[:50].tolist(),
                    test_tail=test[-50:].tolist(), train_len=len(train), test_len=len(test),
                    train_checksum=int((train.astype(np.int64) * np.arange(1, len(train) + 1)).sum() % (2**31 - 1)),
                    test_checksum=int((test.astype(np.int64) * np.arange(1, len(test) + 1)).sum() % (2**31 - 1)))
    cases.append(case)

json.dump({"recorded_with": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "cases": cases}, sys.stdout, separators=(",", ":"))
