"""A verification study's table: every arm's verifier measured on the same test samples, and the decision rule.

Per scored test frame (one arm's verdicts, or a reference's), over the test problems:
- balanced accuracy (p(Yes) > 0.5), pooled AUROC and within-problem AUROC (problems with mixed outcomes only), each
  with its 95% problem-bootstrap interval (rlv.analysis.designs.verifier_intervals);
- weighted vote by p(Yes) and best-of-N by p(Yes), each minus majority vote at N_max, in accuracy points, with the
  paired problem-bootstrap interval (rlv.analysis.claims.paired_gain; answers equal under `equivalent`, the grader's
  equivalence in the workflow, count as one).
Reference rows: the policy's mean token log-prob as the score (the free baseline) and the RL^V run's own p(Yes) on
its own samples; rows of kind "joint reference": the own p(Yes) of a base's further RL^V runs.

The paper's comparison per (base run, RL^V run) pair of a base (`joint_against_base`; rows of kind "joint", one
table per pair): at each budget n (powers of 2 up to N_max), the RL^V run's weighted vote by its own p(Yes) minus
the base run's (GRPO's) majority vote, each on its own samples of the same problems, in points, with the paired
problem-bootstrap interval; both runs' majority votes beside it. Per-problem
values at n < N_max average over the same vote subsets for both runs (rlv.analysis.efficiency.per_problem_curves).

Decision rule (the study file states it): an arm separates solutions within a problem when the lower end of its
within-problem AUROC interval is above 0.5, and reaches the target when that lower end is at least the study's
`target_within_auroc`. `smallest_separating` is the first separating arm by (base order, n). Rows of kind "not run"
(a partial table of a study still running) are listed as such and judged nowhere.
"""

from __future__ import annotations

import math

import pandas as pd

from rlv.analysis.aggregate import Equivalence, budgets
from rlv.analysis.claims import paired_gain, per_problem_at_n_max
from rlv.analysis.designs import verifier_intervals
from rlv.analysis.efficiency import per_problem_curves

STRATEGIES = {"weighted vote - majority": "weighted_vote", "best-of-N - majority": "best_of_n"}
INTERVAL_METRICS = ("AUROC within", "AUROC pooled", "balanced accuracy")


def measure(scored: pd.DataFrame, num_bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0,
            score: str = "p_yes", equivalent: Equivalence | None = None) -> dict:
    """The module docstring's metrics of one scored test frame, with `score` as the verifier's score (a log-prob
    column votes with exp(score), as the sweep does; its balanced accuracy, which needs a probability, is NaN):
    `name`, `name low`, `name high` per metric."""
    row = {}
    intervals = verifier_intervals(scored.assign(p_yes=scored[score]), num_bootstrap, confidence, seed)
    if score != "p_yes":
        intervals["balanced accuracy"] = (math.nan,) * 3
    for name, (value, low, high) in intervals.items():
        row.update({name: value, f"{name} low": low, f"{name} high": high})
    majority = per_problem_at_n_max(scored, "majority", equivalent)
    row["majority"] = float(majority.mean())
    for name, spec in STRATEGIES.items():
        gain = paired_gain(per_problem_at_n_max(scored, f"{spec}:{score}", equivalent), majority, num_bootstrap,
                           confidence, seed)
        row.update({name: gain["difference"], f"{name} low": gain["difference_low"],
                    f"{name} high": gain["difference_high"]})
    row["pass@1"] = float(scored["correct"].mean())
    row["n_max"] = int(scored.groupby("problem_id").size().max())
    return row


def joint_against_base(test: pd.DataFrame, joint: pd.DataFrame, num_bootstrap: int = 1000, confidence: float = 0.95,
                       seed: int = 0, equivalent: Equivalence | None = None) -> pd.DataFrame:
    """Per budget n: the test run's majority vote, the joint (RL^V) run's majority and weighted vote by its p(Yes), and
    weighted vote minus the test run's majority with its paired interval (the module docstring)."""
    n_max = int(min(test.groupby("problem_id").size().min(), joint.groupby("problem_id").size().min()))
    ns = budgets(n_max)
    curves = {}
    for name, frame, spec in (("base majority", test, "majority"), ("RL^V majority", joint, "majority"),
                              ("RL^V weighted vote", joint, "weighted_vote:p_yes")):
        values, problem_ids = per_problem_curves(frame, spec, ns, seed=seed, equivalent=equivalent)
        curves[name] = pd.DataFrame(values, index=problem_ids, columns=ns)
    rows = []
    for n in ns:
        gain = paired_gain(curves["RL^V weighted vote"][n], curves["base majority"][n], num_bootstrap, confidence, seed)
        rows.append({"budget": n, **{name: float(curve[n].mean()) for name, curve in curves.items()},
                     "difference": gain["difference"], "difference low": gain["difference_low"],
                     "difference high": gain["difference_high"]})
    return pd.DataFrame(rows)


def verdict(row: dict | pd.Series, target: float) -> str:
    low = row["AUROC within low"]
    if isinstance(low, float) and math.isnan(low):
        return "n/a"
    return "target" if low >= target else "separates" if low > 0.5 else "chance"


def smallest_separating(rows: pd.DataFrame, bases: list[str]) -> pd.Series | None:
    """The separating (or target-reaching) arm of the first base in `bases` order with one, smallest n first."""
    arms = rows[(rows["kind"] == "arm") & rows["verdict"].isin(["separates", "target"])]
    for base in bases:
        found = arms[arms["base"] == base].sort_values("n")
        if len(found):
            return found.iloc[0]
    return None


def _joint_section(joint: pd.DataFrame) -> list[str]:
    """One table per (base run, RL^V run) pair, in the rows' order."""
    lines = []
    if not len(joint):
        return lines
    for (base, rlv), pair in joint.groupby(["test label", "joint label"], sort=False):
        lines += ["", f"The paper's comparison: {rlv}'s weighted vote by its own p(Yes) against {base}'s majority "
                      "vote, each run on its own samples of the same problems, at n samples per problem (accuracy; "
                      "the difference in points with its paired interval).", "",
                  f"| n | {base} majority | {rlv} majority | {rlv} weighted vote | weighted vote - {base} majority |",
                  "|---|---|---|---|---|"]
        for _, row in pair.iterrows():
            lines.append(f"| {int(row['budget'])} | {row['base majority']:.3f} | {row['RL^V majority']:.3f} | "
                         f"{row['RL^V weighted vote']:.3f} | {_interval(row, 'difference', signed=True)} |")
    return lines


def _interval(row, name: str, digits: int = 3, signed: bool = False) -> str:
    value, low, high = row[name], row[f"{name} low"], row[f"{name} high"]
    if value != value:
        return "n/a"
    form = f"+.{digits}f" if signed else f".{digits}f"
    return f"{value:{form}} [{low:{form}}, {high:{form}}]"


def render(title: str, name: str, test_samples: str, target: float, bases: dict[str, str], families: dict[str, str],
           rows: pd.DataFrame) -> str:
    """The study `name` (its target) as Markdown: `bases` and `families` (name -> its description), every arm and
    reference of `rows`, the verdict. `test_samples` says which samples every verifier scores."""
    n_max = int(rows["n_max"].max())
    not_run = int((rows["kind"] == "not run").sum())
    writer = ("`rlv study-table` with `partial`" if not_run
              else f"the `study_table` rule (`snakemake --cores all {name}`)")
    lines = [f"# {title}", "",
             f"Generated by {writer} from the pipeline's own outputs. "
             f"Every verifier scores the same test samples: {test_samples}, N = {n_max} per problem. Cells: value "
             "[95% problem-bootstrap "
             "interval]. AUROC within = over problems with mixed outcomes; votes are accuracy at N_max minus majority "
             "vote's, in points (paired interval). `n` = labelled training solutions; `steps` = optimizer steps; "
             "`loss` = mean training loss over the last 10% of steps (ln 2 = 0.693 is chance for balanced "
             "labels); `wall s` = the arm's training and scoring time.", "",
             "Decision rule (fixed in the study file before any result): an arm **separates** solutions within a "
             f"problem when its within-problem AUROC's interval lies above 0.5, and reaches the **target** when the "
             f"interval's lower end is >= {target}.", ""]
    if not_run:
        lines += [f"**Partial**: {not_run} of {int(rows['kind'].isin(['arm', 'not run']).sum())} arms have not run yet "
                  "(listed as not run); this table was written by `rlv study-table` with `partial` while the study "
                  "ran, not by the rule, and its verdict covers the arms that ran.", ""]
    lines += ["## Bases", ""]
    lines += [f"- **{base}** {description}" for base, description in bases.items()]
    lines += ["", "## Families", ""]
    lines += [f"- **{family}** {description}" for family, description in families.items()]
    for base in bases:
        part = rows[rows["base"] == base]
        if not len(part):
            continue
        pool = part[part["kind"] == "arm"]["pool share correct"].dropna() if "pool share correct" in part else []
        measured = part[part["kind"].isin(["arm", "reference"])]
        lines += ["", f"## Base `{base}`", "",
                  (f"Test pass@1 {measured['pass@1'].iloc[0]:.3f}, majority vote {measured['majority'].iloc[0]:.3f}"
                   if len(measured) else "Nothing measured yet")
                  + (f"; the pool's share of correct solutions {pool.iloc[0]:.3f}" if len(pool) else "") + ".", "",
                  "| verifier | n | steps | loss | AUROC within | AUROC pooled | balanced acc. "
                  "| weighted vote - majority | best-of-N - majority | verdict | wall s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for _, row in part[part["kind"] != "joint"].iterrows():
            if row["kind"] == "not run":
                lines.append(f"| {row['label']} | {int(row['n'])} | {int(row['steps'])} | not run yet |"
                             + " |" * 7)
                continue
            arm = row["kind"] == "arm"
            lines.append(" | ".join([
                f"| {row['label']}", f"{int(row['n'])}" if arm else "", f"{int(row['steps'])}" if arm else "",
                f"{row['loss']:.3f}" if arm and row["loss"] == row["loss"] else "",
                _interval(row, "AUROC within"), _interval(row, "AUROC pooled"), _interval(row, "balanced accuracy"),
                _interval(row, "weighted vote - majority", signed=True),
                _interval(row, "best-of-N - majority", signed=True), row["verdict"],
                f"{row['wall s']:.0f} |" if arm else " |"]))
        lines += _joint_section(part[part["kind"] == "joint"])
    found = smallest_separating(rows, list(bases))
    lines += ["", "## Verdict", ""]
    if found is None:
        lines.append("No arm tried separates solutions within a problem: every within-problem AUROC interval "
                     "reaches down to 0.5 or below.")
    else:
        lines.append(f"Smallest scale that separates solutions within a problem: base `{found['base']}`, "
                     f"{found['label']} (n = {int(found['n'])}), within-problem AUROC "
                     f"{_interval(found, 'AUROC within')}; verdict: {found['verdict']}.")
    reached = rows[(rows["kind"] == "arm") & (rows["verdict"] == "target")]
    lines.append(f"Arms that reach the target ({target}): "
                 + (", ".join(f"{r.base}/{r.label}" for r in reached.itertuples()) if len(reached) else "none") + ".")
    return "\n".join(lines) + "\n"
