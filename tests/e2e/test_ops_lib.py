"""test_ops_lib.py: what the operations tests (test_ops_*.py) share: a
nusimd started from a settings file alone (`nusimd -c FILE`, so the file,
not a flag, decides the log level and what SIGHUP can change), and a strict
parser of the Prometheus text format. No tests here."""

import os
import re

from harness import (LISTEN_RE, NUSIMD, Server, _port, _spawn, check)


class ConfServer(Server):
    """A Server whose settings come from the file self.conf."""

    def __init__(self, h, settings, name="nusimd"):
        Server.__init__(self, name=name)
        self.conf = os.path.join(self.dir, "nusimd.conf")
        self.settings = dict(settings)
        self.write_conf()
        h.servers.append(self)

    def write_conf(self, **changes):
        self.settings.update(changes)
        base = {"db": self.db, "coap_listen": "127.0.0.1:0",
                "coaps_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
                "allow_nosec": "true", "log_level": "info"}
        base.update(self.settings)
        with open(self.conf, "w") as f:
            f.write("# written by test_ops_lib.ConfServer\n")
            for k, v in base.items():
                f.write("%s = %s\n" % (k, v))

    def start(self, ports=None):
        mark = self.log.mark()
        self.proc = _spawn([NUSIMD, "-c", self.conf], self.log.path)
        m = self.log.wait(LISTEN_RE, 15, since=mark, proc=self.proc)
        self.coap_port = _port(m.group(0), "coap")
        self.coaps_port = _port(m.group(0), "coaps")
        self.http_port = _port(m.group(0), "http")
        check(self.http_port, "http=HOST:PORT in %r" % m.group(0))
        self.start_mark = mark
        return self


_SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})?'
    r' (-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|[-+]Inf|NaN)$')
_COMMENT = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Parses the exposition strictly: every line a # HELP / # TYPE comment
    or `name{labels} value`, each sample after its family's TYPE, histogram
    buckets cumulative and ending in +Inf equal to _count. Returns
    {(name, frozenset(labels.items())): float}."""
    check(text.endswith("\n"), "the exposition ends with a newline")
    types, out, buckets = {}, {}, {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = _COMMENT.match(line)
        if m:
            if m.group(1) == "TYPE":
                check(m.group(3) in ("counter", "gauge", "histogram",
                                     "summary", "untyped"),
                      "line %d: a known type: %r" % (n, line))
                types[m.group(2)] = m.group(3)
            continue
        m = _SAMPLE.match(line)
        check(m, "line %d is a comment or a sample: %r" % (n, line))
        name, labels = m.group(1), dict(_LABEL.findall(m.group(2) or ""))
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or (family in types and
                                types[family] == "histogram"),
              "line %d: %s has a # TYPE before it" % (n, name))
        if types.get(name) == "counter":
            check(name.endswith("_total"), "counter %s ends in _total" % name)
        value = float(m.group(3))
        key = (name, frozenset(labels.items()))
        check(key not in out, "line %d: sample repeated: %r" % (n, line))
        out[key] = value
        if name.endswith("_bucket"):
            le = labels.pop("le")
            buckets.setdefault((family, frozenset(labels.items())),
                               []).append((le, value))
    for (family, labels), bs in buckets.items():
        vals = [v for _, v in bs]
        check(vals == sorted(vals), "%s buckets are cumulative" % family)
        check(bs[-1][0] == "+Inf", "%s ends with le=+Inf" % family)
        check(out.get((family + "_count", labels)) == bs[-1][1],
              "%s_count equals the +Inf bucket" % family)
    return out


def metric(parsed, name, **labels):
    """A sample's value, 0.0 when absent."""
    return parsed.get((name, frozenset(labels.items())), 0.0)
