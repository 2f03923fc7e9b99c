#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# One long-lived YNL client for lisp_ynl.sh: Python starts slowly in the test VM, so the kernel
# tree's YNL library is loaded (and the spec validated against its schema) once, then requests
# are read one per line from stdin:
#
#   do|dump OPERATION JSON
#
# and each is answered with one line: "ok<TAB>REPLY-AS-JSON" or "err<TAB>MESSAGE", where MESSAGE is
# what the YNL CLI would print (errno text and the kernel's extack), on one line.
#
#   ynl_server.py KSRC SPEC SCHEMA

import json
import sys

sys.path.insert(0, sys.argv[1] + "/tools/net/ynl")
from lib import YnlFamily  # noqa: E402


def hexify(obj):
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(type(obj).__name__)


def main():
    ynl = YnlFamily(sys.argv[2], sys.argv[3])
    print("ready", flush=True)
    for line in sys.stdin:
        mode, op, text = (line.rstrip("\n").split(" ", 2) + ["{}"])[:3]
        try:
            attrs = json.loads(text)
            reply = ynl.do(op, attrs, None) if mode == "do" else ynl.dump(op, attrs)
            out = "ok\t" + json.dumps(reply, default=hexify)
        except Exception as e:  # every failure is an answer, never the end of the server
            out = "err\t" + " | ".join(str(e).splitlines())
        print(out, flush=True)


if __name__ == "__main__":
    main()
