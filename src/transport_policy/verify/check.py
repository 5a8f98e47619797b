"""``rules check``: prove a policy version's rule set sound before it is used on a real person.

Over every combination of the values the rules read (each fact's classes, unknown included; see
:mod:`.space` and ``docs/verification.md``) the check finds:

* ``gap``: a record with no proper outcome: an override that is neither applied nor warned about,
  a provided decision without a provision rule, the procedure failing, or a compiled condition
  that matches neither "holds" nor "fails" where the reference reading settles it;
* ``overlap``: two outcomes competing: two override rules taking effect on one record, two
  provision rules, or a compiled condition matching both "holds" and "fails";
* ``mismatch``: the compiled (durable-rules) condition disagrees with the reference reading;
* ``dead-rule``: a rule that takes effect for no record;
* ``unused-clause`` / ``clause-role``: a clause no rule uses and not marked informative, or a
  clause whose role disagrees with the rules that use it;
* ``no-question`` / ``pointless-question``: needs_information asking nothing, or asking a field
  whose answer can never change the recommendation;
* ``inconsistent`` / ``unsupported``: the procedure disagrees with the checker's reading of it,
  or a rule set the checker cannot split (both are reported rather than guessed at).

Every counterexample is decided again by the engine before it is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from ..casefile import parse_record
from ..decision.precedence import RuleStatus
from ..engine import Engine
from ..engine.runtime import PythonEvaluator, apply_readings
from ..errors import TransportPolicyError
from ..model.contradictions import contradictions
from ..model.decision import Decision
from ..rules.conditions import HOLDS
from ..rules.model import Policy
from .compiled import check_compiled
from .findings import Finding, Report, record_from_facts
from .firing import fired, firing, holding
from .model import NI, OUTCOMES, PROVIDE, Model
from .questions import QuestionChecks
from .space import OVERRIDE_FIELD, Facts, Space, satisfying, status_of

DECIDING_KINDS = ("scope", "exclusion", "provide", "procedure")


class Checker:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.report = Report(policy)
        self.engine = Engine(policy, PythonEvaluator(policy))
        self.read: Callable[[Mapping[str, object]], Facts] = lambda f: apply_readings(f, policy)
        """Recorded facts as the rules read them (the engine's own readings)."""

    def add(
        self,
        kind: str,
        message: str,
        facts: Mapping[str, object] | None = None,
        **where: str | None,
    ) -> None:
        record = record_from_facts(self.policy, facts) if facts is not None else None
        self.report.findings.append(Finding(kind, message, record=record, **where))

    def decide(self, facts: Mapping[str, object]) -> Decision:
        record = parse_record(record_from_facts(self.policy, facts), source="<rules check>")
        return self.engine.decide(record, selected="rules check")

    def run(self, *, engine: bool = True) -> Report:
        started = time.perf_counter()
        self.check_clauses()
        space = Space(self.policy)
        model = Model(self.policy, space)
        self.report.stats.update(
            fields=len(space.classes),
            classes={p: len(v) for p, v in space.classes.items()},
            components=[(tuple(r.id for r in t.rules), len(t)) for t in model.tables],
            points=model.size,
            hub_points=model.hub_points,
            table_entries=model.entries,
            deciding_fields=sum(len(t.fields) for t in model.tables),
        )
        combos = 1
        for t in model.tables:
            combos *= len(t)
        self.report.stats["combinations"] = combos
        for group in model.mixed:
            self.add(
                "unsupported",
                "scope and exclusion rules read a common field, so the "
                "checker cannot separate the two stages: keep who the policy covers apart "
                "from the alternatives",
                rule=group[0].id,
            )
        if not model.mixed:
            self.check_procedure(model)
            self.check_questions(model)
            self.check_overrides(model)
            self.check_dead_rules(model)
        self.report.stats["model_seconds"] = time.perf_counter() - started
        if engine:
            self.check_compiled(space)
        self.report.stats["seconds"] = time.perf_counter() - started
        return self.report

    # -- the clause catalogue ------------------------------------------------------------------

    def check_clauses(self) -> None:
        used: dict[str, set[str]] = {}
        for rule in self.policy.rules:
            for cited in (rule.clause, *(c for c, _ in rule.also_cites)):
                used.setdefault(cited, set()).add(rule.kind)
        for reason in self.policy.procedure:
            used.setdefault(reason.clause, set()).add("procedure")
        for cid, clause in self.policy.clauses.items():
            kinds = used.get(cid, set())
            deciding = bool(kinds & set(DECIDING_KINDS))
            names = ", ".join(sorted(kinds))
            if clause.role == "informs" and kinds:
                self.add(
                    "clause-role",
                    f"marked informative only, but rules cite it ({names}); "
                    "give it the role decides or triggers",
                    clause=cid,
                )
            elif clause.role != "informs" and not kinds:
                self.add(
                    "unused-clause",
                    f"role {clause.role}, but no rule cites it: cite it "
                    "from the rule that implements it, or mark it role: informs with an "
                    "informative_reason",
                    clause=cid,
                )
            elif clause.role == "decides" and not deciding:
                self.add(
                    "clause-role",
                    "role decides, but only rules that follow the outcome "
                    f"cite it ({names}); its role is triggers",
                    clause=cid,
                )
            elif clause.role == "triggers" and kinds <= set(DECIDING_KINDS):
                self.add(
                    "clause-role",
                    "role triggers, but only deciding rules cite it "
                    f"({names}); its role is decides",
                    clause=cid,
                )

    # -- the procedure, at one record per combination of component summaries -----------------

    def check_procedure(self, model: Model) -> None:
        checked = 0
        for picks in model.summary_combinations():
            checked += 1
            facts = model.merge(picks)
            sums = model.summaries(picks)
            want = model.recommended(sums)
            asked = model.asked(picks)
            try:
                decision = self.decide(facts)
            except (TransportPolicyError, LookupError, ValueError, TypeError) as exc:
                self.add(
                    "gap", f"the procedure gives no outcome ({type(exc).__name__}: {exc})", facts
                )
                continue
            got = decision.recommended_outcome
            fields = {q.field for q in decision.questions}
            if got not in OUTCOMES:
                self.add("gap", f"the procedure gives {got!r}, which is not an outcome", facts)
            elif got == NI and not fields:
                self.add("no-question", "needs_information, but nothing is asked", facts)
            elif got != want or (got == NI and fields != asked):
                self.add(
                    "inconsistent",
                    f"the procedure recommends {got} asking "
                    f"{sorted(fields)}, where the checker reads {want} asking "
                    f"{sorted(asked)}",
                    facts,
                )
        self.report.stats["procedure_records"] = checked

    # -- questions -----------------------------------------------------------------------------

    def check_questions(self, model: Model) -> None:
        checks = QuestionChecks(model)
        silent = checks.silent()
        if silent is not None:
            self.add(
                "no-question",
                "needs_information with nothing to ask: a rule is unknown "
                "although every fact it would ask about is known",
                silent,
            )
        for path, facts in checks.pointless():
            if contradictions(facts):
                continue  # facts no record can hold together: no question is put there
            decision = self.decide(facts)
            asked = [q.field for q in decision.questions]
            if decision.recommended_outcome != NI or path not in asked:
                self.add(
                    "inconsistent",
                    f"the checker expected {path} to be asked here",
                    facts,
                    field=path,
                )
                continue
            others = ", ".join(q for q in asked if q != path) or "nothing else"
            self.add(
                "pointless-question",
                "asked, but no answer to it can change the "
                "recommendation, however the record's other open facts are answered "
                f"(asked with: {others})",
                facts,
                field=path,
            )

    # -- overrides and provision ---------------------------------------------------------------

    def check_overrides(self, model: Model) -> None:
        paths = model.override_paths
        read = self.read

        def effects(outcome: str, test: Callable[[int], bool]) -> Callable[[Facts], list[str]]:
            def accept(facts: Facts) -> list[str]:
                if facts.get(OVERRIDE_FIELD) is None or outcome not in OUTCOMES:
                    return []
                holding = [
                    r
                    for r in model.overrides
                    if outcome in r.outcomes and status_of(r, read(facts)) is RuleStatus.HOLDS
                ]
                return [outcome] if test(len(holding)) else []

            return accept

        for outcome in OUTCOMES:
            facts = model.find(paths, effects(outcome, lambda n: n == 0))
            if facts is not None:
                self.add(
                    "gap",
                    f"an override recorded while the recommendation is {outcome} is "
                    "neither applied nor warned about: no override rule covers it",
                    facts,
                    field=OVERRIDE_FIELD,
                )
            facts = model.find(paths, effects(outcome, lambda n: n > 1))
            if facts is not None:
                names = [
                    r.id
                    for r in model.overrides
                    if outcome in r.outcomes and status_of(r, read(facts)) is RuleStatus.HOLDS
                ]
                self.add(
                    "overlap",
                    f"an override recorded while the recommendation is {outcome} "
                    f"is taken up by {len(names)} override rules at once ({', '.join(names)})",
                    facts,
                    rule=names[0],
                    field=OVERRIDE_FIELD,
                )
        self.check_provision(model)

    def check_provision(self, model: Model) -> None:
        """Transport provided with no provision rule, or with several competing."""
        paths = model.override_paths
        provision = self.policy.by_kind.get("provision", ())
        if len(provision) != 1:
            facts = model.find(
                paths, lambda f: [r for r in OUTCOMES if model.override_effects(r, f)[0] == PROVIDE]
            )
            if facts is not None and not provision:
                self.add(
                    "gap",
                    "transport is provided but no provision rule says how it is arranged",
                    facts,
                )
            elif facts is not None:
                self.add(
                    "overlap",
                    f"{len(provision)} provision rules compete to say how "
                    "transport is arranged (only the last is used)",
                    facts,
                    rule=provision[0].id,
                )

    # -- dead rules ----------------------------------------------------------------------------

    def check_dead_rules(self, model: Model) -> None:
        scope = self.policy.by_kind.get("scope", ())
        for rule in self.policy.rules:
            paths, accept = firing(self.policy, self.read, model, rule, scope)
            facts = model.find(paths, accept, satisfying(rule.effective, HOLDS, model.space))
            if facts is not None:
                if rule.id not in fired(self.policy, self.decide(facts), facts):
                    self.add(
                        "inconsistent",
                        "the checker expected this rule to take effect here",
                        facts,
                        rule=rule.id,
                    )
                continue
            shadow = model.find(paths, holding(rule, self.read))
            if shadow is None:
                self.add(
                    "dead-rule",
                    "takes effect for no record: its condition can never hold",
                    rule=rule.id,
                    clause=rule.clause,
                )
            else:
                self.add(
                    "dead-rule",
                    "takes effect for no record: its condition holds for "
                    "records like this one, but another rule settles the outcome first or "
                    "the outcome is not one it applies to",
                    shadow,
                    rule=rule.id,
                    clause=rule.clause,
                )

    # -- the compiled conditions against the reference reading --------------------------------

    def check_compiled(self, space: Space) -> None:
        check_compiled(self.policy, space, self.add, self.report.stats)


def check_policy(policy: Policy, *, engine: bool = True) -> Report:
    """Check one policy version; ``engine`` also compares the compiled conditions."""
    return Checker(policy).run(engine=engine)
