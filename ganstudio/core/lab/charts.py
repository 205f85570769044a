"""The figure of each experiment as `figure.Chart`s (what `ganstudio lab NAME --png` draws), from the dict
that the experiment's `experiment(...)` returned."""

from __future__ import annotations

import math

import numpy as np

from ganstudio.core.lab.figure import Chart


def distances(r: dict) -> list[Chart]:
    s, at = r["sweep"], r["at_theta"]
    top = max(2.0, math.log(2) * 1.5)
    c = Chart(f"Distances vs theta (width {at['width']:g})", "theta", "", ylim=(0.0, top))
    c.line(s["theta"], s["kl_rg"], "KL(Pr||Pg)", "red")
    c.line(s["theta"], s["js"], "JS", "blue")
    c.line(s["theta"], s["tv"], "TV", "green")
    c.line(s["theta"], s["w1"], "W1", "orange")
    c.line([at["theta"]] * 2, [0.0, top], f"theta = {at['theta']:g}", "grey", dashed=True, width=1)
    if "js_est" in at:
        c.points([at["theta"]], [at["js_est"]], "JS from a trained D", "purple", size=5)
        c.points([at["theta"]], [at["w1_est"]], "W1 from a WGAN-GP critic", "brown", size=5)
    g = Chart("Gradient d/dtheta", "theta", "", ylim=(-2.0, 2.0))
    g.line(s["theta"], s["d_js"], "dJS", "blue")
    g.line(s["theta"], s["d_tv"], "dTV", "green")
    g.line(s["theta"], s["d_w1"], "dW1", "orange")
    return [c, g]


def optimal_d(r: dict) -> list[Chart]:
    dens = Chart("Densities", "x").line(r["x"], r["p_data"], "p_data", "blue").line(r["x"], r["p_g"], "p_g", "orange")
    d = Chart(f"D*(x); V(G,D*) = {r['v_d_star']:.4f}, -log4+2JS = {r['minus_log4_plus_2js']:.4f}", "x", ylim=(0, 1))
    d.line(r["x"], r["d_star"], "D* exact", "black")
    if "d_trained" in r:
        d.line(r["x"], r["d_trained"], f"trained D (V = {r['v_trained']:.3f})", "red")
    return [dens, d]


def costs(r: dict) -> list[Chart]:
    c = r["curves"]
    names = (("minimax", "red"), ("nonsaturating", "blue"), ("ml", "green"))
    j = Chart("Generator cost J vs D(G(z))", "D(G(z))", ylim=(-10, 5))
    g = Chart("dJ / d logit", "D(G(z))", ylim=(-3, 0.2))
    for name, color in names:
        j.line(c["d"], c[name], name, color)
        g.line(c["d"], c[f"{name}_grad_logit"], name, color)
    out = [j, g]
    if "runs" in r:
        t = Chart("|mean G - mean data| while training", "step")
        for name, color in names:
            t.line(r["runs"][name]["step"], r["runs"][name]["distance"], name, color)
        out.append(t)
    return out


def xy(r: dict) -> list[Chart]:
    colors = {"continuous": "black", "simultaneous": "red", "alternating": "blue", "consensus": "green"}
    lim = max(2.0 * max(abs(r["x0"]), abs(r["y0"]), 0.5), 1.0)
    p = Chart(f"xy game, eta = {r['eta']:g}", "x", "y", xlim=(-lim, lim), ylim=(-lim, lim), equal=True)
    rad = Chart("radius", "step")
    for m, color in colors.items():
        p.line(r[m]["x"], r[m]["y"], m, color, width=1)
        rad.line(r["step"], r[m]["radius"], m, color)
    return [p, rad]


def cournot(r: dict) -> list[Chart]:
    A = r["A"]
    b = Chart(f"Cournot: q* = ({r['q1_star']:.3g}, {r['q2_star']:.3g})", "q1", "q2", xlim=(0, A), ylim=(0, A),
              equal=True)
    b.line(r["br1"], r["grid"], "BR1(q2)", "blue", width=1)
    b.line(r["grid"], r["br2"], "BR2(q1)", "orange", width=1)
    path = r[r["rule"]]
    b.line(path["q1"], path["q2"], r["rule"], "red")
    b.points([r["q1_star"]], [r["q2_star"]], "Nash", "black", size=4)
    d = Chart("distance to q*", "step")
    for rule, color in (("best-response", "blue"), ("alternating", "green"), ("gradient", "red")):
        d.line(np.arange(len(r[rule]["distance"])), r[rule]["distance"], rule, color)
    return [b, d]


def collapse(r: dict) -> list[Chart]:
    colors = {"plain": "red", "unrolled": "blue", "pacgan": "green", "minibatch": "orange"}
    out = []
    for v, color in colors.items():
        c = Chart(f"{v}: {int(r[v]['modes'][-1])} modes", equal=True, xlim=(-2.6, 2.6), ylim=(-2.6, 2.6))
        c.points(r[v]["points"][:, 0], r[v]["points"][:, 1], color=color, size=1)
        c.points(r["means"][:, 0], r["means"][:, 1], color="black", size=3)
        out.append(c)
    m = Chart("modes captured (of 8)", "step", ylim=(0, 8.5))
    for v, color in colors.items():
        m.line(r["step"], r[v]["modes"], v, color)
    out.append(m)
    return out


def supports(r: dict) -> list[Chart]:
    pts = r["points"][:4000]
    title = f"G: R^{r['z_dim']} -> R^{r['x_dim']}, Jacobian rank {r['jacobian_rank']}"
    a = Chart(title + " (x1, x2)", "x1", "x2", equal=True).points(pts[:, 0], pts[:, 1], color="blue", size=1)
    out = [a]
    if r["x_dim"] == 3:
        out.append(Chart("(x1, x3)", "x1", "x3", equal=True).points(pts[:, 0], pts[:, 2], color="blue", size=1))
    t = Chart(f"log tube fraction vs log eps: slope {r['tube_slope']:.2f} (codim {r['codimension']})", "log eps")
    t.line(np.log(r["eps"]), np.log(np.maximum(r["tube_fraction"], 1e-12)), "measured", "red")
    out.append(t)
    return out


BUILDERS = {"distances": distances, "optimal-d": optimal_d, "costs": costs, "xy": xy, "cournot": cournot, "collapse": collapse,
            "supports": supports}
