"""A seeded, deterministic corpus of valid assessment records, and helpers shared by the benchmarks.

The records are JSON-shaped mappings (``assessment_date`` as ``YYYY-MM-DD`` text), the same shape a
case-management system sends. Fields are drawn from the record model itself
(:data:`transport_policy.model.record.FIELD_PATHS` and ``field_values``), so a field added to the
model is generated without changes here. Each record has its own *sparsity*: some are complete,
some are early referrals with most facts unknown (absent or ``null``), so every branch of the
decision procedure (out of scope, needs information, do not provide, provide) is exercised.

The scope facts lean towards adults in scope: a uniform draw would send most records out of scope
at the first rule and measure little of the engine.

Run it on its own to see the mix of outcomes::

    python benchmarks/corpus.py --n 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from transport_policy import AssessmentRecord, parse_record
from transport_policy.model.fields import FIELDS
from transport_policy.model.record import FIELD_PATHS, field_values

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Where the benchmark scripts write their JSON results (ignored by git)."""

FIRST_DATE = dt.date(2021, 1, 14)
"""The first day of the bundled policy (2021-01); records are dated from then on."""

SPARSITY = (0.0, 0.0, 0.02, 0.05, 0.15, 0.4)
"""The chance that any one fact of a record is unknown; each record draws one."""

# Leanings for facts where an even draw would make the corpus unrepresentative: value → weight.
LEANINGS: dict[str, dict[object, float]] = {
    "person.eligible_care_needs": {True: 0.95, False: 0.05},
    "person.needs_transport_to_access_service": {True: 0.95, False: 0.05},
    "person.service_area": {
        "older_people": 0.3,
        "physical_disability_sensory": 0.2,
        "mental_health": 0.15,
        "learning_disability": 0.25,
        "adult_autism": 0.07,
        "other": 0.03,
    },
    "destination.purpose": {
        "day_opportunity": 0.55,
        "respite": 0.15,
        "community_activity": 0.12,
        "education": 0.08,
        "employment": 0.06,
        "other": 0.04,
    },
    "circumstances.temporary_illness": {"none": 0.8, "person": 0.11, "carer": 0.07, "both": 0.02},
    "circumstances.urgent_or_exceptional": {True: 0.1, False: 0.9},
    "choices.decision_by_representative": {True: 0.15, False: 0.85},
    # People referred for transport mostly lack the alternatives the exclusions look for.
    "travel.can_mobilise_safely": {"independently": 0.1, "with_support": 0.15, "unable": 0.75},
    "travel.can_use_public_transport": {"independently": 0.1, "with_support": 0.15, "unable": 0.75},
    "travel.voluntary_transport_available": {True: 0.15, False: 0.85},
    "benefits.higher_rate_mobility": {True: 0.3, False: 0.7},
    "vehicles.private_car": {True: 0.3, False: 0.7},
    "vehicles.shared_community_vehicle": {True: 0.05, False: 0.95},
    "support_network.carer_able_and_willing": {True: 0.35, False: 0.65},
    "destination.nearest_suitable": {True: 0.8, False: 0.2},
    "choices.declines_own_arrangements": {True: 0.05, False: 0.95},
    "choices.declines_offered_transport": {True: 0.03, False: 0.97},
    "person.transition_assessment": {True: 0.03, False: 0.97},
    "person.has_ehc_plan": {True: 0.06, False: 0.94},
    "benefits.standard_rate_mobility": {True: 0.15, False: 0.85},
    "current_provision.receives_council_transport": {True: 0.3, False: 0.7},
}

CENTRES = (
    "Ely Day Centre",
    "Huntingdon Resource Centre",
    "March Community Hub",
    "St Neots Day Opportunities",
    "Wisbech Respite House",
    "Cambridge City Day Service",
)
ASSESSORS = (("A-17", "J. Smith"), ("A-03", "R. Patel"), ("A-41", "M. O'Neill"), ("A-09", None))
NOTES = (
    "",
    "Discussed options with the person and their family.",
    "Carer present at the assessment; the person took part fully.",
    "Review in three months. Route to the centre checked with the person.",
)
OVERRIDE_REASONS = (
    "Exceptional: the bus route was withdrawn this month.",
    "The family arrangement has broken down; recorded in the support plan.",
)


def _leaf_value(rng: random.Random, path: str) -> object:
    """A valid value for one record field (never unknown)."""
    if path in LEANINGS:
        values, weights = zip(*LEANINGS[path].items(), strict=True)
        return rng.choices(values, weights)[0]
    if path == "person.age":
        return rng.randint(14, 17) if rng.random() < 0.04 else rng.randint(18, 99)
    if path == "destination.distance_miles":
        return round(rng.uniform(0.2, 25.0), 1)
    if path == "destination.name":
        return rng.choice(CENTRES)
    if path == "judgement.notes":
        return rng.choice(NOTES)
    if path == "destination.public_transport_minutes":
        return rng.randint(5, 180)
    if path == "destination.public_transport_changes":
        return rng.randint(0, 4)
    if path == "current_provision.since":
        return (FIRST_DATE - dt.timedelta(days=rng.randrange(0, 3000))).isoformat()
    if path in ("travel.vehicle_needs", "circumstances.ill_carer_relied_on_for"):
        spec = FIELDS[path]
        return sorted(rng.sample(spec.values, rng.randint(0, len(spec.values))))
    allowed = field_values(path)
    if allowed is None:
        raise ValueError(f"the corpus does not know how to generate {path}; add it to corpus.py")
    return rng.choice(allowed)


def _sections() -> dict[str, list[str]]:
    """The record's fact sections and their leaves, from the model (assessor and override apart)."""
    sections: dict[str, list[str]] = {}
    for path in FIELD_PATHS:
        section, _, leaf = path.partition(".")
        if leaf and section not in ("assessor", "override"):
            sections.setdefault(section, []).append(leaf)
    return sections


_SECTIONS = _sections()


def _fact(out: dict[str, Any], path: str) -> object:
    section, _, leaf = path.partition(".")
    part = out.get(section)
    return part.get(leaf) if isinstance(part, dict) else None


def _set(out: dict[str, Any], path: str, value: object) -> None:
    section, _, leaf = path.partition(".")
    out[section][leaf] = value


def _consistent(out: dict[str, Any]) -> dict[str, Any]:
    """The record with the facts that contradict each other (which the record model rejects)
    made consistent, the way an assessor would have recorded them."""
    if _fact(out, "vehicles.motability") is True and _fact(out, "vehicles.private_car") is False:
        _set(out, "vehicles.private_car", True)
    if (
        _fact(out, "travel.needs_supervision") is True
        and _fact(out, "travel.can_use_public_transport") == "independently"
    ):
        _set(out, "travel.needs_supervision", False)
    supports = (
        ("travel.can_mobilise_safely", "travel.mobilise_support_from_unpaid_carer", "walking"),
        (
            "travel.can_use_public_transport",
            "travel.public_transport_support_from_unpaid_carer",
            "public_transport",
        ),
    )
    illness = _fact(out, "circumstances.temporary_illness")
    relied = _fact(out, "circumstances.ill_carer_relied_on_for")
    if isinstance(relied, list) and illness in ("none", "person"):
        _set(out, "circumstances.ill_carer_relied_on_for", None)
        relied = None
    for answer_path, support_path, use in supports:
        answer, support = _fact(out, answer_path), _fact(out, support_path)
        if support is True and answer is not None and answer != "with_support":
            _set(out, support_path, False)
            support = False
        unusable = support is False or (answer is not None and answer != "with_support")
        if isinstance(relied, list) and use in relied and unusable:
            relied.remove(use)
    able = _fact(out, "support_network.carer_able_and_willing")
    if isinstance(relied, list) and "driving" in relied and able is False:
        relied.remove("driving")
    own_car = _fact(out, "support_network.carer_uses_own_car")
    if own_car is not None and able is False:
        _set(out, "support_network.carer_uses_own_car", None)
    elif own_car is False and _fact(out, "vehicles.private_car") is False:
        _set(out, "support_network.carer_uses_own_car", True)
    if (
        _fact(out, "benefits.standard_rate_mobility") is True
        and _fact(out, "benefits.higher_rate_mobility") is True
    ):
        _set(out, "benefits.standard_rate_mobility", False)
    return out


def record(rng: random.Random, index: int) -> dict[str, Any]:
    """One valid record as a JSON-shaped mapping."""
    sparsity = rng.choice(SPARSITY)
    date = FIRST_DATE + dt.timedelta(days=rng.randrange(0, 4 * 365))
    out: dict[str, Any] = {"case_id": f"BENCH-{index:07d}", "assessment_date": date.isoformat()}
    if rng.random() < 0.7:
        ident, name = rng.choice(ASSESSORS)
        out["assessor"] = {"id": ident, "name": name}
    for section, leaves in _SECTIONS.items():
        part: dict[str, object] = {}
        for leaf in leaves:
            if rng.random() < sparsity:
                if rng.random() < 0.5:
                    part[leaf] = None  # unknown written as null; otherwise left out
                continue
            part[leaf] = _leaf_value(rng, f"{section}.{leaf}")
        if part or rng.random() < 0.5:
            out[section] = part
    if rng.random() < 0.05:
        out["override"] = {
            "outcome": rng.choice(("provide", "do_not_provide")),
            "reason": rng.choice(OVERRIDE_REASONS),
        }
    return _consistent(out)


def generate(n: int, seed: int = 2021) -> list[dict[str, Any]]:
    """``n`` valid records; the same ``n`` and ``seed`` give the same records."""
    rng = random.Random(seed)
    return [record(rng, i) for i in range(n)]


def validate(records: Iterable[dict[str, Any]]) -> list[AssessmentRecord]:
    """Every record validated strictly (raises :class:`~transport_policy.RecordError` if not)."""
    return [parse_record(r, source=r.get("case_id", "<record>")) for r in records]


# Helpers shared by the benchmark scripts -----------------------------------------------------


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (or what ``platform`` says elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def revision() -> str:
    """The checkout's commit, with ``+changes`` when the working tree differs from it."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def machine() -> dict[str, Any]:
    """The machine and software a result was measured on."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str] = {}
    for dist in ("transport-policy", "durable_rules", "pydantic", "pydantic_core", "rfc8785"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "revision": revision(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
    }


def print_machine(info: dict[str, Any]) -> None:
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['platform']}")
    print(f"code:    {info['revision']}")
    print(
        f"python:  {info['python']}; " + ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    )


def status_kb(pid: int | str, key: str) -> int:
    """A ``kB`` figure (``VmRSS``, ``VmHWM``) of a process from ``/proc/<pid>/status`` (Linux);
    0 if the process or the figure is not there."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_family(root: int) -> list[int]:
    """A process and its children (a server's supervisor and its workers), from ``/proc``."""
    family = [root]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == root:
            family.append(int(stat.parent.name))
    return family


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_results(kind: str, data: dict[str, Any]) -> Path:
    """Write ``data`` as ``results/<kind>-<timestamp>.json``; return the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"{kind}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="number of records (default 2000)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--dump", type=Path, help="also write the records here as JSON Lines")
    args = parser.parse_args(argv)

    from transport_policy import decide

    records = generate(args.n, args.seed)
    decisions = [decide(r) for r in records]
    outcomes = Counter(d.outcome for d in decisions)
    for outcome, count in outcomes.most_common():
        print(f"{outcome:<18} {count:>7}  {100 * count / len(decisions):5.1f}%")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for r in records:
                out.write(json.dumps(r) + "\n")
        print(f"wrote {args.dump}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
