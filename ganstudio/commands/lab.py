"""`ganstudio lab NAME`: one of the Lab's experiments, headless. Writes the numbers the figure shows as JSON
(keys named as on screen) and the figure as PNG; prints the headline numbers."""

from __future__ import annotations

import argparse

NAME = "lab"
DOING = "the Lab experiment"

EXPERIMENTS_HELP = {
    "distances": "KL, JS, TV and W1 between two parallel lines (and blurred ones) against theta",
    "optimal-d": "the optimal discriminator D* of two 1-D mixtures, and a trained D converging to it",
    "costs": "the minimax, non-saturating and maximum-likelihood generator costs, and a 1-D run with each",
    "xy": "the xy game: continuous orbit, simultaneous, alternating and consensus gradient steps",
    "cournot": "the Cournot duopoly: best-response and gradient play reaching the Nash equilibrium",
    "collapse": "mode collapse on the ring of 8 Gaussians: plain vs unrolled D vs PacGAN vs minibatch discrimination",
    "supports": "a generator from z of dimension 1 or 2 into 2-D or 3-D: a rank-k Jacobian, a support of volume 0",
}


def add_parser(sub, parents) -> None:
    p = sub.add_parser(NAME, parents=parents, help="run one of the Lab's experiments headless (JSON and PNG out)",
                       description="Run one of the Lab's experiments (the lectures' figures) and write its numbers "
                       "as JSON (infinities as the strings \"inf\" / \"-inf\") and its figure as PNG.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", metavar="OUT.json", help="write the numbers the figure shows")
    common.add_argument("--png", metavar="OUT.png", help="draw the figure")
    common.add_argument("--seed", type=int, default=0, help="random seed of the trained parts (default 0)")
    exp = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    e = exp.add_parser("distances", parents=[common, *parents], help=EXPERIMENTS_HELP["distances"])
    e.add_argument("--theta", type=float, default=0.5, help="the offset of P_g, in [-2, 2] (default 0.5)")
    e.add_argument("--width", type=float, default=0.0, help="instance noise: the lines' blur std, in [0, 1] (default 0)")
    e.add_argument("--steps", type=int, default=300, help="training steps of the critic and discriminator (default 300)")
    e.add_argument("--no-estimate", action="store_true", help="closed forms only, no training")
    e = exp.add_parser("optimal-d", parents=[common, *parents], help=EXPERIMENTS_HELP["optimal-d"])
    e.add_argument("--data", default="0.5:-1.5:0.4,0.5:1.5:0.4", help="p_data as weight:mean:std,... (default two modes)")
    e.add_argument("--gen", default="1:0.5:1", help="p_g as weight:mean:std,... (default 1:0.5:1)")
    e.add_argument("--steps", type=int, default=1500, help="training steps of the discriminator (default 1500)")
    e.add_argument("--no-train", action="store_true", help="exact D* only")
    e = exp.add_parser("costs", parents=[common, *parents], help=EXPERIMENTS_HELP["costs"])
    e.add_argument("--steps", type=int, default=300, help="generator steps of each run (default 300)")
    e.add_argument("--d-steps", type=int, default=5, help="discriminator steps per generator step (default 5)")
    e.add_argument("--no-train", action="store_true", help="the curves only")
    e = exp.add_parser("xy", parents=[common, *parents], help=EXPERIMENTS_HELP["xy"])
    e.add_argument("--x0", type=float, default=1.0)
    e.add_argument("--y0", type=float, default=0.0)
    e.add_argument("--eta", type=float, default=0.1, help="step size, in (0, 1] (default 0.1)")
    e.add_argument("--gamma", type=float, default=1.0, help="consensus (gradient penalty) weight (default 1)")
    e.add_argument("--steps", type=int, default=200, help="number of steps (default 200)")
    e = exp.add_parser("cournot", parents=[common, *parents], help=EXPERIMENTS_HELP["cournot"])
    e.add_argument("--A", type=float, default=10.0, help="demand intercept: price = A - q1 - q2 (default 10)")
    e.add_argument("--c1", type=float, default=1.0, help="firm 1's unit cost (default 1)")
    e.add_argument("--c2", type=float, default=2.0, help="firm 2's unit cost (default 2)")
    e.add_argument("--q1", type=float, default=0.0, help="start quantity of firm 1 (default 0)")
    e.add_argument("--q2", type=float, default=8.0, help="start quantity of firm 2 (default 8)")
    e.add_argument("--rule", default="gradient", help="best-response, alternating or gradient (default gradient)")
    e.add_argument("--eta", type=float, default=0.1, help="gradient play's step size (default 0.1)")
    e.add_argument("--steps", type=int, default=60, help="number of steps (default 60)")
    e = exp.add_parser("collapse", parents=[common, *parents], help=EXPERIMENTS_HELP["collapse"])
    e.add_argument("--steps", type=int, default=1500, help="training steps of each GAN (default 1500)")
    e.add_argument("--unrolled", type=int, default=3, help="unrolled D steps, 1 to 20 (default 3)")
    e.add_argument("--report-every", type=int, default=100, help="count the modes every N steps (default 100)")
    e = exp.add_parser("supports", parents=[common, *parents], help=EXPERIMENTS_HELP["supports"])
    e.add_argument("--z-dim", type=int, default=1, help="dimension of z: 1 or 2 (default 1)")
    e.add_argument("--x-dim", type=int, default=2, help="dimension of the samples: 2 or 3 (default 2)")
    e.add_argument("--n", type=int, default=20000, help="number of samples (default 20000)")


def compute(args) -> tuple[dict, dict]:
    """The experiment's result and the headline numbers to print."""
    from ganstudio.core.lab import check_int, collapse, costs, cournot, distances, optimal_d, supports, xy_game

    check_int("--seed", args.seed, 0, 2 ** 31 - 1)
    name = args.experiment
    if name == "distances":
        r = distances.experiment(args.theta, args.width, steps=args.steps, seed=args.seed, estimate=not args.no_estimate)
        return r, r["at_theta"]
    if name == "optimal-d":
        data = optimal_d.parse_mixture(args.data, "--data")
        gen = optimal_d.parse_mixture(args.gen, "--gen")
        r = optimal_d.experiment(data, gen, steps=args.steps, seed=args.seed, train=not args.no_train)
        keys = ("v_d_star", "minus_log4_plus_2js", "js", "v_trained", "max_gap")
        return r, {k: r[k] for k in keys if k in r}
    if name == "costs":
        r = costs.experiment(steps=args.steps, d_steps=args.d_steps, seed=args.seed, train=not args.no_train)
        return r, {f"final_distance_{k}": v for k, v in r.get("final_distance", {}).items()}
    if name == "xy":
        r = xy_game.experiment(args.x0, args.y0, args.eta, args.steps, args.gamma)
        return r, {k: v for k, v in r.items() if k.endswith(("_radius", "_factor"))}
    if name == "cournot":
        r = cournot.experiment(args.A, args.c1, args.c2, args.q1, args.q2, args.rule, args.eta, args.steps)
        return r, {k: r[k] for k in ("q1_star", "q2_star", "q1_final", "q2_final")}
    if name == "collapse":
        r = collapse.experiment(args.steps, args.report_every, seed=args.seed, unrolled=args.unrolled)
        return r, {f"final_modes_{k}": v for k, v in r["final_modes"].items()}
    if name == "supports":
        r = supports.experiment(args.z_dim, args.x_dim, seed=args.seed, n=args.n)
        return r, {k: r[k] for k in ("jacobian_rank", "codimension", "tube_slope")}
    raise AssertionError(name)


def plain(value):
    """JSON-ready: arrays as lists, infinities as "inf" / "-inf", NaN as null."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def run(args) -> int:
    import json
    from pathlib import Path

    import torch

    from ganstudio.core.destinations import check_file_destination, writing
    from ganstudio.core.imaging import save_png
    from ganstudio.core.lab import charts, figure

    for path in (args.json, args.png):  # refused before any work
        if path:
            check_file_destination(path)
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    result, headline = compute(args)
    for key, value in headline.items():
        print(f"{key} = {value:.6g}" if isinstance(value, float) else f"{key} = {value}")
    if args.json:
        with writing(args.json):
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump({"experiment": args.experiment, **plain(result)}, fh, indent=1)
        print(f"wrote {args.json}")
    if args.png:
        picture = figure.render(charts.BUILDERS[args.experiment](result))
        with writing(args.png):
            save_png(picture, args.png)
        print(f"wrote {args.png}")
    return 0
