"""The method overview, drawn by code: how one LLM is trained as reasoner and verifier and used at test time.

Three lanes of boxes and arrows on a fixed grid. Training, RL: prompt -> the policy samples N solutions
-> reward r_i (1 if the final answer is correct) -> L_RL (the value-free RL loss, e.g. GRPO). Training,
verification, on the same rollouts: solution + "Is this solution correct? Answer Yes or No" -> the same
LLM -> Yes/No, trained towards r_i -> L_verify; the total loss is L_RL + lambda * L_verify. Test time: the
trained model samples N solutions, scores each with its own p("Yes"), and picks one answer by best-of-N
(highest p("Yes")) or a vote weighted by p("Yes"). Params: `verify_coef` (lambda) and `n_max` (N) are
printed in the labels; nothing else is read.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from rlv.figures.style import save_figure

WIDTH, HEIGHT = 18.6, 8.6
LANE_COLORS = {"rl": "#dbe9f6", "verify": "#fde3cf", "test": "#e2f0d9", "model": "#f2f2f2"}


def box(axis, x: float, y: float, text: str, color: str, width: float = 2.6, height: float = 1.15) -> tuple:
    """A rounded box centred at (x, y); returns its (left, right, bottom, top) edges for the arrows."""
    axis.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.05,rounding_size=0.15",
                                  facecolor=color, edgecolor="0.25", lw=1.0))
    axis.text(x, y, text, ha="center", va="center", fontsize=8.5, wrap=True)
    return x - width / 2, x + width / 2, y - height / 2, y + height / 2


def arrow(axis, start: tuple, end: tuple, text: str = "", style: str = "-|>", color: str = "0.2") -> None:
    axis.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": style, "color": color, "lw": 1.2,
                                                        "shrinkA": 2, "shrinkB": 2})
    if text:
        axis.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.12, text, ha="center", va="bottom", fontsize=7.5,
                  color="0.25")


def overview(out: str, params: dict) -> None:
    lam, n = params.get("verify_coef", 1.0), params.get("n_max", "N")
    figure, axis = plt.subplots(figsize=(WIDTH * 0.75, HEIGHT * 0.75))
    axis.set_xlim(0, WIDTH)
    axis.set_ylim(0, HEIGHT)
    axis.axis("off")
    for y, name in ((7.0, "training: RL"), (4.6, "training: verification\n(same rollouts)"), (1.5, "test time")):
        axis.text(0.1, y, name, ha="left", va="center", fontsize=9, fontweight="bold", color="0.3")
    axis.plot([0.1, WIDTH - 0.1], [3.05, 3.05], color="0.6", lw=0.8, ls="--")

    prompt = box(axis, 3.3, 7.0, "problem x", LANE_COLORS["rl"], width=1.8)
    policy = box(axis, 6.6, 7.0, "LLM $\\pi_\\theta$\nsamples N solutions\n$y_1, \\dots, y_N$", LANE_COLORS["model"])
    reward = box(axis, 10.0, 7.0, "reward $r_i$ = 1 if the\nfinal answer is correct", LANE_COLORS["rl"])
    rl_loss = box(axis, 13.6, 7.0, "$L_{RL}$\nvalue-free RL\n(GRPO, leave-one-out PPO)", LANE_COLORS["rl"], width=3.1)
    arrow(axis, (prompt[1], 7.0), (policy[0], 7.0))
    arrow(axis, (policy[1], 7.0), (reward[0], 7.0), "$(x, y_i)$")
    arrow(axis, (reward[1], 7.0), (rl_loss[0], 7.0), "$r_i$")

    question = box(axis, 6.6, 4.6, "$(x, y_i)$ + user: \"Is this solution\ncorrect? Answer Yes or No\"",
                   LANE_COLORS["verify"], width=3.0)
    same = box(axis, 10.0, 4.6, "the same LLM $\\pi_\\theta$\nnext token: Yes / No", LANE_COLORS["model"])
    verify_loss = box(axis, 13.6, 4.6, "$L_{verify}$ = cross-entropy,\ntarget Yes if $r_i = 1$ else No",
                      LANE_COLORS["verify"], width=2.8)
    total = box(axis, 17.0, 5.8, f"$L = L_{{RL}} + \\lambda\\, L_{{verify}}$\n($\\lambda$ = {lam:g})", "white", width=2.4)
    arrow(axis, (6.6, policy[2]), (6.6, question[3]))
    axis.text(6.75, 5.8, "same rollouts", fontsize=7.5, color="0.25", va="center")
    arrow(axis, (question[1], 4.6), (same[0], 4.6))
    arrow(axis, (same[1], 4.6), (verify_loss[0], 4.6))
    arrow(axis, (10.4, reward[2]), (13.2, verify_loss[3]))
    axis.text(11.9, 5.95, "label", fontsize=7.5, color="0.25", ha="left")
    arrow(axis, (rl_loss[1], 7.0), (total[0] + 0.5, total[3]))
    arrow(axis, (verify_loss[1], 4.6), (total[0] + 0.5, total[2]))

    test_x = box(axis, 3.3, 1.5, "test problem", LANE_COLORS["test"], width=1.8)
    sample = box(axis, 6.6, 1.5, f"trained LLM samples\nN = 1 ... {n} solutions", LANE_COLORS["model"])
    score = box(axis, 10.0, 1.5, "it scores each one itself:\n$s_i$ = p(Yes | x, $y_i$, question)", LANE_COLORS["test"],
                width=2.9)
    select = box(axis, 13.7, 1.5, "best-of-N: answer of max $s_i$\nweighted vote: $\\arg\\max_a \\sum_{i: a_i = a} s_i$",
                 LANE_COLORS["test"], width=3.3)
    answer = box(axis, 17.2, 1.5, "final answer", "white", width=1.7)
    arrow(axis, (test_x[1], 1.5), (sample[0], 1.5))
    arrow(axis, (sample[1], 1.5), (score[0], 1.5))
    arrow(axis, (score[1], 1.5), (select[0], 1.5))
    arrow(axis, (select[1], 1.5), (answer[0], 1.5))
    axis.set_title("RL$^V$: one LLM trained as reasoner (RL) and generative verifier on the same rollouts", fontsize=11)
    save_figure(figure, out)
