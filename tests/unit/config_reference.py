#!/usr/bin/env python3
"""The config reference cannot drift from the validator: every setting the config code knows
(its key arrays and tables in toolkit/core/) has an entry in docs/config.md and in
ccexp.cfg(5), and every entry there is a setting it knows; type, unit, default and range agree
between the two documents, and the ranges of the knobs and host sysctls are their tables'.
Also checks that ccexp(1) has every subcommand, every long option of each command's --help
and every exit code, and that both pages render without a groff warning."""
import os
import re
import shutil
import subprocess
import sys

SRC = os.environ.get("CCX_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CCEXP = os.environ.get("CCEXP")
errors = []


def read(rel):
    with open(os.path.join(SRC, rel)) as f:
        return f.read()


def c_strings(src, array):
    """The string literals of `array[] = { ... };` in C source `src`."""
    m = re.search(re.escape(array) + r"\[[^\]]*\]\s*=\s*\{(.*?)\};", src, re.S)
    if not m:
        sys.exit(f"cannot find {array} in the source: update this test")
    return re.findall(r'"([^"]*)"', m.group(1))


def c_table_ranges(src, array, name_field, min_field):
    """{name: (min, max)} of the designated-initializer rows of a C table, each row
    `[ID] = {..., "name", ..., min, max, ...}` with the name at position `name_field`
    and min, max at `min_field`, `min_field` + 1 (positions among the top-level fields)."""
    m = re.search(re.escape(array) + r"\[[^\]]*\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        sys.exit(f"cannot find {array} in the source: update this test")
    out = {}
    for row in re.findall(r"\[\w+\]\s*=\s*\{(.*?)\},\s*(?=\[|$)", m.group(1), re.S):
        fields = [f.strip() for f in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', row)]
        name = fields[name_field]
        if not name.startswith('"'):
            continue  # cc: no config name
        out[name.strip('"')] = (fields[min_field], fields[min_field + 1])
    return out


def num(text):
    v = {"INT_MAX": 2147483647, "UINT_MAX": 4294967295}.get(text)
    v = float(text) if v is None else v
    return f"{v:g}" if v != int(v) else str(int(v))


def md_tables(md):
    """{section: {setting: {column: cell}}} for the first table under each ###/#### `name`."""
    out, cur, lines, i = {}, None, md.split("\n"), 0
    while i < len(lines):
        m = re.match(r"#{3,4} `([^`]+)`", lines[i])
        if m:
            cur = m.group(1)
        elif lines[i].startswith("|") and cur and cur not in out:
            hdr = [c.strip() for c in lines[i].strip("|").split("|")]
            rows = {}
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[i].strip()[1:-1])]
                rows[cells[0].strip("`")] = dict(zip(hdr, cells))
                i += 1
            out[cur] = rows
            continue
        i += 1
    return out


def md_headings(md):
    return set(re.findall(r"^#{3,4} `([^`]+)`", md, re.M))


def man_entries(man):
    """{section: {setting: {field: value}}} from .SS sections of `.TP / .B name / field: v`."""
    out, cur = {}, None
    lines = man.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".SS "):
            cur = line[4:].strip().strip('"')
            out.setdefault(cur, {})
        elif line == ".TP" and cur and i + 1 < len(lines) and lines[i + 1].startswith(".B "):
            fields = {}
            for f in lines[i + 2:]:
                if f == ".br":
                    continue
                m = re.match(r"([a-z ]+): (.*)", f)
                if not m:
                    break
                fields[m.group(1)] = m.group(2)
            out[cur][lines[i + 1][3:].strip()] = fields
    return out


def plain(s):
    """A cell of either document reduced to its words: no markdown, no roff escapes."""
    s = s.replace("`", "").replace("\\|", "|").replace("\\-", "-").replace("\\e", "\\")
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    return " ".join(s.split())


def same_keys(what, code, md, man):
    for name in sorted(set(code) - set(md)):
        errors.append(f"{what}.{name}: known to the validator, missing from docs/config.md")
    for name in sorted(set(md) - set(code)):
        errors.append(f"{what}.{name}: in docs/config.md, unknown to the validator")
    for name in sorted(set(code) - set(man)):
        errors.append(f"{what}.{name}: known to the validator, missing from ccexp.cfg(5)")
    for name in sorted(set(man) - set(code)):
        errors.append(f"{what}.{name}: in ccexp.cfg(5), unknown to the validator")


def same_field(what, field, md_value, man_value):
    if plain(md_value or "") != plain(man_value or ""):
        errors.append(f"{what}: {field} is \"{plain(md_value or '')}\" in docs/config.md but "
                      f"\"{plain(man_value or '')}\" in ccexp.cfg(5)")


def check_config():
    config_c = read("toolkit/core/config.c")
    md = read("docs/config.md")
    man = read("docs/man/ccexp.cfg.5")
    tables, entries = md_tables(md), man_entries(man)
    headings = md_headings(md)
    for top in c_strings(config_c, "top_keys"):
        if top not in headings:
            errors.append(f"{top}: a top-level setting with no section in docs/config.md")
        if top not in entries:
            errors.append(f"{top}: a top-level setting with no .SS in ccexp.cfg(5)")
    groups = {
        "experiment": c_strings(config_c, "experiment_keys"),
        "link": c_strings(read("toolkit/core/cfg_link.c"), "link_setting_names"),
        "flows": c_strings(config_c, "flow_keys"),
        "collect": c_strings(config_c, "collect_keys"),
        "plots": c_strings(config_c, "plots_keys"),
        "summary": c_strings(config_c, "summary_keys"),
    }
    for group, keys in groups.items():
        md_rows, man_rows = tables.get(group, {}), entries.get(group, {})
        same_keys(group, keys, md_rows, man_rows)
        for name in set(md_rows) & set(man_rows):
            for field in ("type", "unit", "default", "range", "backends"):
                same_field(f"{group}.{name}", field, md_rows[name].get(field),
                           man_rows[name].get(field))

    knobs = c_table_ranges(read("toolkit/core/knobs.c"), "knob_table", 1, 2)
    md_rows = tables.get("flows[i].sockops", {})
    man_rows = entries.get("flows[i].sockops", {})
    same_keys("sockops", knobs, md_rows, man_rows)
    for name, (lo, hi) in knobs.items():
        if name not in md_rows or name not in man_rows:
            continue
        want = "true/false" if name == "ecn" else f"{num(lo)}..{num(hi)}"
        for doc, rng in (("docs/config.md", md_rows[name]["range"]),
                         ("ccexp.cfg(5)", man_rows[name].get("range", ""))):
            if not plain(rng).startswith(want):
                errors.append(f"sockops.{name}: range \"{plain(rng)}\" in {doc}, the knob table "
                              f"says {want}")
        same_field(f"sockops.{name}", "unit", md_rows[name]["unit"] if name != "ecn" else "",
                   man_rows[name].get("unit"))
        same_field(f"sockops.{name}", "default side", md_rows[name]["default side"],
                   man_rows[name].get("default side"))

    sysctls = c_table_ranges(read("toolkit/core/cfg_hosts.c"), "host_sysctl_table", 0, 3)
    md_rows, man_rows = tables.get("hosts", {}), entries.get("hosts", {})
    same_keys("hosts", sysctls, md_rows, man_rows)
    for name, (lo, hi) in sysctls.items():
        if name not in md_rows or name not in man_rows:
            continue
        want = f"{num(lo)}..{num(hi)}"
        if want not in plain(md_rows[name]["range"]) and name != "tcp_wmem":
            errors.append(f"hosts.{name}: range \"{plain(md_rows[name]['range'])}\" in "
                          f"docs/config.md, the sysctl table says {want}")
        for field in ("type", "range"):
            same_field(f"hosts.{name}", field, md_rows[name][field], man_rows[name].get(field))
    for section, rows in entries.items():
        for name, fields in rows.items():
            for field in ("type", "default", "range"):
                if field not in fields:
                    errors.append(f"ccexp.cfg(5): {section}.{name} has no {field}")


def check_command_page():
    man = read("docs/man/ccexp.1")
    text = man.replace("\\-", "-")
    main_c = read("toolkit/main.c")
    commands = re.findall(r'\{"(\w+)", cmd_\w+,', main_c)
    if len(commands) < 8:
        errors.append(f"toolkit/main.c: found only {commands} in the subcommand table")
    sections = set(re.findall(r'^\.SS "ccexp (\w+)', man, re.M))
    for c in sorted(set(commands) - sections):
        errors.append(f"ccexp(1): no section for `ccexp {c}`")
    for c in sorted(sections - set(commands)):
        errors.append(f"ccexp(1): a section for `ccexp {c}`, which main.c does not have")
    if CCEXP:
        for c in commands:
            out = subprocess.run([CCEXP, c, "--help"], capture_output=True, text=True).stdout
            for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", out))):
                if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text):
                    errors.append(f"ccexp(1): `ccexp {c} --help` has {opt}, the page does not")
    codes = re.findall(r"#define CCX_EXIT_\w+\s+(\d+)", read("toolkit/commands.h"))
    status = text.split(".SH EXIT STATUS", 1)[-1].split(".SH ", 1)[0]
    for code in codes:
        if not re.search(r"^\.B " + code + r"$", status, re.M):
            errors.append(f"ccexp(1): exit code {code} (toolkit/commands.h) not in EXIT STATUS")
    for section in ("EXAMPLES", "FILES", "EXIT STATUS", "SYNOPSIS"):
        if f".SH {section}" not in man:
            errors.append(f"ccexp(1): no {section} section")


def check_versions():
    version = re.search(r"version\s*:\s*'([^']+)'", read("meson.build")).group(1)
    for page in ("docs/man/ccexp.1", "docs/man/ccexp.cfg.5"):
        th = re.search(r"^\.TH .*$", read(page), re.M)
        if not th or f'"ccexp {version}"' not in th.group(0):
            errors.append(f"{page}: .TH does not name ccexp {version} (meson.build's version)")


def check_render():
    groff = shutil.which("groff")
    if not groff:
        if os.environ.get("CI") == "true":
            errors.append("groff is not installed (apt-get install groff-base)")
        else:
            print("groff is not installed: rendering not checked")
        return
    for page in ("docs/man/ccexp.1", "docs/man/ccexp.cfg.5"):
        r = subprocess.run([groff, "-man", "-ww", "-z", os.path.join(SRC, page)],
                           capture_output=True, text=True)
        if r.returncode or r.stderr.strip():
            errors.append(f"{page}: groff -man -ww warns: {r.stderr.strip()}")


check_config()
check_command_page()
check_versions()
check_render()
for e in errors:
    print(e)
print(f"{len(errors)} problems")
sys.exit(1 if errors else 0)
