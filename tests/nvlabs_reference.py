"""NVlabs' on-disk pickle format, written by our own writer, and an independent functional StyleGAN2 forward.

The writer: every network object is a torch Module whose `__reduce__` does what torch_utils/persistence.py's
decorator does (the call `torch_utils.persistence._reconstruct_persistent_obj(meta)`, meta = {type, version 6,
module_src, class_name, state = the module's __dict__ with _init_args / _init_kwargs}), pickled by
`pickle.dump` as their training loop does, with dnnlib.util.EasyDict for kwargs. Stand-in modules in
sys.modules give the globals NVlabs' names while writing, and are gone before reading.

`reference_forward` (= `reference_mapping` then `reference_synthesis`) is written from the papers and NVlabs'
layer layout along NVlabs' own fast paths (fused grouped convolutions, transposed convolutions for
upsampling), independently of `ganstudio.core.models.stylegan2`.
"""

import contextlib
import copy
import math
import pickle
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

# --- the writer: NVlabs' on-disk format --------------------------------------------------------------------

MODULE_SRC = "# training/networks.py as the writer saw it; a reader must never run this\nraise SystemExit(3)\n"


def _reconstruct_persistent_obj(meta):
    """The writer's side only (copy.deepcopy goes through __reduce__ as in NVlabs' code); pickle writes this
    function by name, and the reader, which never sees these stand-ins, must map the name to its own."""
    cls = persistent(meta["class_name"], meta["module_src"])
    obj = cls.__new__(cls)
    obj.__setstate__(meta["state"])
    return obj


_reconstruct_persistent_obj.__module__ = "torch_utils.persistence"


class EasyDict(dict):
    """dnnlib.util.EasyDict as NVlabs defines it."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        del self[name]


EasyDict.__module__ = "dnnlib.util"


@contextlib.contextmanager
def nvlabs_globals():
    """torch_utils.persistence and dnnlib.util as pickle looks them up while writing."""
    persistence = types.ModuleType("torch_utils.persistence")
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
    torch_utils = types.ModuleType("torch_utils")
    torch_utils.persistence = persistence
    util = types.ModuleType("dnnlib.util")
    util.EasyDict = EasyDict
    dnnlib = types.ModuleType("dnnlib")
    dnnlib.util, dnnlib.EasyDict = util, EasyDict
    fakes = {"torch_utils": torch_utils, "torch_utils.persistence": persistence, "dnnlib": dnnlib, "dnnlib.util": util}
    saved = {k: sys.modules.get(k) for k in fakes}
    sys.modules.update(fakes)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class _Persistent(torch.nn.Module):
    """A module pickled as persistence.persistent_class pickles its instances."""

    _orig_module_src = MODULE_SRC
    _orig_class_name = "?"

    def __reduce__(self):
        fields = list(super().__reduce__())
        fields += [None] * max(3 - len(fields), 0)
        if fields[0] is not _reconstruct_persistent_obj:
            meta = dict(type="class", version=6, module_src=self._orig_module_src, class_name=self._orig_class_name,
                        state=fields[2])
            fields[0] = _reconstruct_persistent_obj
            fields[1] = (meta,)
            fields[2] = None
        return tuple(fields)


_CLASSES: dict[tuple[str, str], type] = {}


def persistent(class_name: str, module_src: str = MODULE_SRC) -> type:
    key = (class_name, module_src)
    if key not in _CLASSES:
        _CLASSES[key] = type(class_name, (_Persistent,), {"_orig_class_name": class_name, "_orig_module_src": module_src})
    return _CLASSES[key]


def node(class_name, init_kwargs=None, params=None, buffers=None, children=None, module_src=MODULE_SRC, **attrs):
    m = persistent(class_name, module_src)()
    for name, t in (params or {}).items():
        m.register_parameter(name, None if t is None else torch.nn.Parameter(t))
    for name, t in (buffers or {}).items():
        m.register_buffer(name, t)
    for name, child in (children or {}).items():
        m.add_module(name, child)
    for name, value in attrs.items():
        setattr(m, name, value)
    m._init_args = ()
    m._init_kwargs = copy.deepcopy(init_kwargs or {})
    return m


@dataclass(frozen=True)
class Cfg:
    z: int = 16
    c: int = 0
    w: int = 16
    res: int = 32
    ch: int = 3
    layers: int = 2
    base: int = 256
    cmax: int = 16
    arch: str = "skip"
    clamp: float | None = None
    fp16: int = 0

    def channels(self, res):
        return min(self.base // res, self.cmax)

    @property
    def resolutions(self):
        return [2**i for i in range(2, int(math.log2(self.res)) + 1)]

    @property
    def num_ws(self):
        n = 0
        for r in self.resolutions:
            n += 1 if r == 4 else 2
        return n + 1  # the last ToRGB


FILTER = torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64


def fc_node(g, n_in, n_out, lr=1.0, act="linear", bias_init=0.0):
    return node("FullyConnectedLayer", dict(in_features=n_in, out_features=n_out, lr_multiplier=lr, activation=act),
                params={"weight": torch.randn(n_out, n_in, generator=g) / lr,
                        "bias": bias_init + 0.1 * torch.randn(n_out, generator=g)},
                activation=act, weight_gain=np.float64(lr / np.sqrt(n_in)), bias_gain=lr)


def layer_node(g, cfg, n_in, n_out, res, up):
    return node("SynthesisLayer", dict(in_channels=n_in, out_channels=n_out, w_dim=cfg.w, resolution=res, up=up),
                params={"weight": torch.randn(n_out, n_in, 3, 3, generator=g),
                        "noise_strength": 0.3 * torch.randn([], generator=g),
                        "bias": 0.1 * torch.randn(n_out, generator=g)},
                buffers={"resample_filter": FILTER.clone(), "noise_const": torch.randn(res, res, generator=g)},
                children={"affine": fc_node(g, cfg.w, n_in, bias_init=1.0)},
                resolution=res, up=up, use_noise=True, activation="lrelu", conv_clamp=cfg.clamp, padding=1,
                act_gain=np.float64(np.sqrt(2)))


def reference_generator(cfg: Cfg, seed: int = 0):
    """A random generator in NVlabs' module tree, names and attributes."""
    g = torch.Generator().manual_seed(seed)
    blocks = {}
    for res in cfg.resolutions:
        n_in, n_out = (cfg.channels(res // 2) if res > 4 else 0), cfg.channels(res)
        is_last = res == cfg.res
        params, children = {}, {}
        if n_in == 0:
            params["const"] = torch.randn(n_out, res, res, generator=g)
        else:
            children["conv0"] = layer_node(g, cfg, n_in, n_out, res, up=2)
        children["conv1"] = layer_node(g, cfg, n_out, n_out, res, up=1)
        if is_last or cfg.arch == "skip":
            children["torgb"] = node("ToRGBLayer", dict(in_channels=n_out, out_channels=cfg.ch, w_dim=cfg.w),
                                     params={"weight": 0.12 * torch.randn(cfg.ch, n_out, 1, 1, generator=g),
                                             "bias": 0.1 * torch.randn(cfg.ch, generator=g)},
                                     children={"affine": fc_node(g, cfg.w, n_out, bias_init=1.0)},
                                     conv_clamp=cfg.clamp, weight_gain=np.float64(1 / np.sqrt(n_out)))
        if n_in and cfg.arch == "resnet":
            children["skip"] = node("Conv2dLayer", dict(in_channels=n_in, out_channels=n_out, kernel_size=1),
                                    params={"weight": torch.randn(n_out, n_in, 1, 1, generator=g), "bias": None},
                                    buffers={"resample_filter": FILTER.clone()}, up=2, down=1, activation="linear")
        blocks[f"b{res}"] = node("SynthesisBlock", dict(in_channels=n_in, out_channels=n_out, resolution=res),
                                 params=params, buffers={"resample_filter": FILTER.clone()}, children=children,
                                 in_channels=n_in, resolution=res, is_last=is_last, architecture=cfg.arch,
                                 use_fp16=res >= max(2 ** (int(math.log2(cfg.res)) + 1 - cfg.fp16), 8) if cfg.fp16 else False,
                                 num_conv=1 if n_in == 0 else 2, num_torgb=int(is_last or cfg.arch == "skip"))
    synthesis_kwargs = EasyDict(channel_base=cfg.base, channel_max=cfg.cmax, num_fp16_res=cfg.fp16,
                                conv_clamp=cfg.clamp, architecture=cfg.arch)
    synthesis = node("SynthesisNetwork", dict(w_dim=cfg.w, img_resolution=cfg.res, img_channels=cfg.ch, **synthesis_kwargs),
                     children=blocks, w_dim=cfg.w, img_resolution=cfg.res, block_resolutions=cfg.resolutions,
                     num_ws=cfg.num_ws)
    mapping_children = {}
    if cfg.c:
        mapping_children["embed"] = fc_node(g, cfg.c, cfg.w)
    features = [cfg.z + (cfg.w if cfg.c else 0)] + [cfg.w] * cfg.layers
    for i in range(cfg.layers):
        mapping_children[f"fc{i}"] = fc_node(g, features[i], features[i + 1], lr=0.01, act="lrelu")
    mapping = node("MappingNetwork", dict(z_dim=cfg.z, c_dim=cfg.c, w_dim=cfg.w, num_ws=cfg.num_ws, num_layers=cfg.layers),
                   buffers={"w_avg": 0.5 * torch.randn(cfg.w, generator=g)}, children=mapping_children,
                   z_dim=cfg.z, c_dim=cfg.c, w_dim=cfg.w, num_ws=cfg.num_ws, num_layers=cfg.layers, w_avg_beta=0.995)
    kwargs = dict(z_dim=cfg.z, c_dim=cfg.c, w_dim=cfg.w, img_resolution=cfg.res, img_channels=cfg.ch,
                  mapping_kwargs=EasyDict(num_layers=cfg.layers), synthesis_kwargs=synthesis_kwargs)
    return node("Generator", kwargs, children={"synthesis": synthesis, "mapping": mapping},
                z_dim=cfg.z, c_dim=cfg.c, w_dim=cfg.w, img_resolution=cfg.res, img_channels=cfg.ch, num_ws=cfg.num_ws)


def write_snapshot(path: Path, G, protocol=None, **extra):
    """pickle.dump of the dict NVlabs' training loop saves (network-snapshot-NNNNNN.pkl)."""
    D = node("Discriminator", dict(c_dim=0, img_resolution=32, img_channels=3),
             params={"weight": torch.randn(4, 3)}, buffers={"scratch": torch.zeros(2)})
    D._non_persistent_buffers_set = {"scratch"}
    data = dict(training_set_kwargs=EasyDict(path="~/datasets/ffhq.zip", resolution=32, use_labels=False),
                G=G, D=D, G_ema=copy.deepcopy(G), augment_pipe=None)
    data.update(extra)
    with nvlabs_globals(), open(path, "wb") as fh:
        pickle.dump(data, fh, protocol=protocol)
    return path


# --- the independent functional forward ---------------------------------------------------------------------

def _fc(sd, prefix, x, lr=1.0, act="linear"):
    w = sd[f"{prefix}.weight"] * (lr / math.sqrt(sd[f"{prefix}.weight"].shape[1]))
    x = x @ w.t() + sd[f"{prefix}.bias"] * lr
    return F.leaky_relu(x, 0.2) * math.sqrt(2) if act == "lrelu" else x


def _norm(x):
    return x / (x.square().mean(dim=1, keepdim=True) + 1e-8).sqrt()


def _fir(x, f, pad, gain):
    """Pad, then convolve every channel with f * gain."""
    c = x.shape[1]
    x = F.pad(x, pad)
    return F.conv2d(x, (f * gain).flip([0, 1])[None, None].repeat(c, 1, 1, 1), groups=c)


def _upsample_picture(img, f):
    """2x: a stride-2 transposed convolution with f (x4), cropped by one pixel at the start."""
    c = img.shape[1]
    t = F.conv_transpose2d(img, (f * 4)[None, None].repeat(c, 1, 1, 1), stride=2, groups=c)
    return t[:, :, 1:-1, 1:-1]


def _modconv(x, weight, styles, demodulate=True, up=1, f=None):
    """The fused form: per-sample modulated (and demodulated) weights, one grouped convolution."""
    n, i = styles.shape
    o, _, k, _ = weight.shape
    w = weight[None] * styles[:, None, :, None, None]
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()[:, :, None, None, None]
    x = x.reshape(1, n * i, *x.shape[2:])
    if up == 1:
        out = F.conv2d(x, w.reshape(n * o, i, k, k), padding=k // 2, groups=n)
    else:  # transposed convolution of the flipped... i.e. true convolution, then the FIR filter
        wt = w.transpose(1, 2).reshape(n * i, o, k, k)
        out = F.conv_transpose2d(x, wt, stride=2, groups=n)
        out = _fir(out, f, [1, 1, 1, 1], 4)
    return out.reshape(n, o, *out.shape[2:])


def reference_mapping(sd, cfg: Cfg, z, c=None, psi=1.0, cutoff=None):
    """ws (N, num_ws, w_dim): z (and the embedded class) through the mapping MLP, truncated toward w_avg."""
    x = _norm(z)
    if cfg.c:
        x = torch.cat([x, _norm(_fc(sd, "mapping.embed", c))], dim=1)
    for i in range(cfg.layers):
        x = _fc(sd, f"mapping.fc{i}", x, lr=0.01, act="lrelu")
    ws = x[:, None].repeat(1, cfg.num_ws, 1)
    cut = cfg.num_ws if cutoff is None else cutoff
    w_avg = sd["mapping.w_avg"]
    ws[:, :cut] = w_avg + psi * (ws[:, :cut] - w_avg)
    return ws


def reference_forward(sd, cfg: Cfg, z, c=None, psi=1.0, cutoff=None):
    return reference_synthesis(sd, cfg, reference_mapping(sd, cfg, z, c, psi, cutoff))


def reference_synthesis(sd, cfg: Cfg, ws):
    """Pictures (N, C, R, R) for ws (N, num_ws, w_dim), with the stored noise."""

    def layer(p, x, w, up=1, gain=1.0):
        x = _modconv(x, sd[f"{p}.weight"], _fc(sd, f"{p}.affine", w), up=up, f=FILTER)
        x = x + sd[f"{p}.noise_const"] * sd[f"{p}.noise_strength"]
        x = F.leaky_relu(x + sd[f"{p}.bias"][None, :, None, None], 0.2) * math.sqrt(2) * gain
        return x if cfg.clamp is None else x.clamp(-cfg.clamp * gain, cfg.clamp * gain)

    def torgb(p, x, w):
        styles = _fc(sd, f"{p}.affine", w) / math.sqrt(x.shape[1])
        y = _modconv(x, sd[f"{p}.weight"], styles, demodulate=False) + sd[f"{p}.bias"][None, :, None, None]
        return y if cfg.clamp is None else y.clamp(-cfg.clamp, cfg.clamp)

    img, k = None, 0
    for res in cfg.resolutions:
        b = f"synthesis.b{res}"
        if res == 4:
            x = layer(f"{b}.conv1", sd[f"{b}.const"][None].repeat(ws.shape[0], 1, 1, 1), ws[:, k])
            k += 1
        elif cfg.arch == "resnet":
            y = F.conv2d(x, sd[f"{b}.skip.weight"] / math.sqrt(x.shape[1]))
            y = _upsample_picture(y, FILTER) * math.sqrt(0.5)
            x = layer(f"{b}.conv0", x, ws[:, k], up=2)
            x = y + layer(f"{b}.conv1", x, ws[:, k + 1], gain=math.sqrt(0.5))
            k += 2
        else:
            x = layer(f"{b}.conv0", x, ws[:, k], up=2)
            x = layer(f"{b}.conv1", x, ws[:, k + 1])
            k += 2
        if img is not None:
            img = _upsample_picture(img, FILTER)
        if res == cfg.res or cfg.arch == "skip":
            y = torgb(f"{b}.torgb", x, ws[:, k])
            img = y if img is None else img + y
    return img


def nvlabs_pixels(img):
    """generate.py's conversion: (x * 127.5 + 128) clamped, truncated to uint8, NHWC; grey shown as RGB."""
    if img.shape[1] == 1:
        img = img.expand(-1, 3, -1, -1)
    return (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).numpy()



# --- StyleGAN3 (alias-free): the writer and the functional forward ---------------------------------------------

@dataclass(frozen=True)
class Cfg3:
    z: int = 8
    c: int = 0
    w: int = 8
    res: int = 16
    ch: int = 3
    layers: int = 2  # mapping layers
    num_layers: int = 4  # synthesis layers before ToRGB
    num_critical: int = 2
    base: int = 64
    cmax: int = 12
    margin: int = 10
    clamp: float | None = 256.0
    kernel: int = 3  # 1 in config R
    radial: bool = False  # True in config R
    filter_size: int = 6
    output_scale: float = 0.25

    @property
    def num_ws(self):
        return self.num_layers + 2


def sg3_geometry(cfg: Cfg3):
    """The paper's progression (section 3.2, appendix F) with NVlabs' defaults for the first cutoff and stopbands."""
    n = cfg.num_layers
    last_cutoff = cfg.res / 2
    exps = np.minimum(np.arange(n + 1) / (n - cfg.num_critical), 1)
    cutoffs = 2.0 * (last_cutoff / 2.0) ** exps
    stop0 = 2**2.1
    stopbands = stop0 * (last_cutoff * 2**0.3 / stop0) ** exps
    rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, cfg.res))))
    half_widths = np.maximum(stopbands, rates / 2) - cutoffs
    sizes = rates + cfg.margin * 2
    sizes[-2:] = cfg.res
    channels = np.rint(np.minimum((cfg.base / 2) / cutoffs, cfg.cmax))
    channels[-1] = cfg.ch
    layers = []
    for i in range(n + 1):
        p = max(i - 1, 0)
        torgb = i == n
        critical = i >= n - cfg.num_critical
        tmp = max(rates[p], rates[i]) * (1 if torgb else 2)
        up, down = int(round(tmp / rates[p])), int(round(tmp / rates[i]))
        k = 1 if torgb else cfg.kernel
        up_taps = cfg.filter_size * up if up > 1 and not torgb else 1
        down_taps = cfg.filter_size * down if down > 1 and not torgb else 1
        total = (int(sizes[i]) - 1) * down + 1 - (int(sizes[p]) + k - 1) * up + up_taps + down_taps - 2
        lo = (total + up) // 2
        layers.append(dict(name=f"L{i}_{int(sizes[i])}_{int(channels[i])}", torgb=torgb, critical=critical,
                           c_in=int(channels[p]), c_out=int(channels[i]), s_in=int(sizes[p]), s_out=int(sizes[i]),
                           sr_in=int(rates[p]), sr_out=int(rates[i]), tmp=tmp, cut_in=cutoffs[p], cut_out=cutoffs[i],
                           hw_in=half_widths[p], hw_out=half_widths[i], k=k, up=up, down=down, up_taps=up_taps,
                           down_taps=down_taps, radial=cfg.radial and not critical, pad=[lo, total - lo, lo, total - lo]))
    first = dict(channels=int(channels[0]), size=int(sizes[0]), rate=float(rates[0]), bandwidth=float(cutoffs[0]))
    return first, layers


def lowpass(numtaps, cutoff, width, fs, radial=False):
    """The Kaiser windowed sinc of scipy.signal.firwin (config T) or the windowed jinc (config R)."""
    import scipy.signal
    import scipy.special

    if numtaps == 1:
        return None
    if not radial:
        return torch.as_tensor(scipy.signal.firwin(numtaps=numtaps, cutoff=cutoff, width=width, fs=fs), dtype=torch.float32)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    f = scipy.special.j1(2 * cutoff * (np.pi * r)) / (np.pi * r)
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, width / (fs / 2)))
    w = np.kaiser(numtaps, beta)
    f *= np.outer(w, w)
    return torch.as_tensor(f / np.sum(f), dtype=torch.float32)


def reference_generator3(cfg: Cfg3, seed: int = 0, transform=None):
    """A random StyleGAN3 generator in NVlabs' module tree, names and init kwargs (flat synthesis kwargs)."""
    g = torch.Generator().manual_seed(seed)
    first, plan = sg3_geometry(cfg)
    freqs = torch.randn(first["channels"], 2, generator=g)
    radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
    freqs = freqs / (radii * radii.square().exp().pow(0.25)) * first["bandwidth"]
    children = {"input": node(
        "SynthesisInput", dict(w_dim=cfg.w, channels=first["channels"], size=first["size"],
                               sampling_rate=first["rate"], bandwidth=first["bandwidth"]),
        params={"weight": torch.randn(first["channels"], first["channels"], generator=g)},
        buffers={"transform": torch.eye(3) if transform is None else transform, "freqs": freqs,
                 "phases": torch.rand(first["channels"], generator=g) - 0.5},
        children={"affine": node("FullyConnectedLayer", dict(in_features=cfg.w, out_features=4),
                                 params={"weight": 0.3 * torch.randn(4, cfg.w, generator=g),
                                         "bias": torch.tensor([1.0, 0, 0, 0]) + 0.2 * torch.randn(4, generator=g)})})}
    for p in plan:
        buffers = {"magnitude_ema": torch.tensor(0.5 + torch.rand([], generator=g).item())}
        fu = lowpass(p["up_taps"], p["cut_in"], p["hw_in"] * 2, p["tmp"])
        fd = lowpass(p["down_taps"], p["cut_out"], p["hw_out"] * 2, p["tmp"], radial=p["radial"])
        buffers["up_filter"], buffers["down_filter"] = fu, fd
        children[p["name"]] = node(
            "SynthesisLayer", dict(w_dim=cfg.w, is_torgb=p["torgb"], in_channels=p["c_in"], out_channels=p["c_out"]),
            params={"weight": torch.randn(p["c_out"], p["c_in"], p["k"], p["k"], generator=g),
                    "bias": 0.1 * torch.randn(p["c_out"], generator=g)},
            buffers=buffers, children={"affine": fc_node(g, cfg.w, p["c_in"], bias_init=1.0)},
            up_factor=p["up"], down_factor=p["down"], padding=p["pad"], is_torgb=p["torgb"])
    synthesis = node("SynthesisNetwork", dict(w_dim=cfg.w, img_resolution=cfg.res, img_channels=cfg.ch),
                     children=children, num_ws=cfg.num_ws, layer_names=[p["name"] for p in plan])
    mapping_children = {}
    if cfg.c:
        mapping_children["embed"] = fc_node(g, cfg.c, cfg.w)
    features = [cfg.z + (cfg.w if cfg.c else 0)] + [cfg.w] * cfg.layers
    for i in range(cfg.layers):
        mapping_children[f"fc{i}"] = fc_node(g, features[i], features[i + 1], lr=0.01, act="lrelu")
    mapping = node("MappingNetwork", dict(z_dim=cfg.z, c_dim=cfg.c, w_dim=cfg.w, num_ws=cfg.num_ws, num_layers=cfg.layers),
                   buffers={"w_avg": 0.5 * torch.randn(cfg.w, generator=g)}, children=mapping_children)
    kwargs = dict(z_dim=cfg.z, w_dim=cfg.w, mapping_kwargs=EasyDict(num_layers=cfg.layers), channel_base=cfg.base,
                  channel_max=cfg.cmax, magnitude_ema_beta=0.999, c_dim=cfg.c, img_resolution=cfg.res,
                  img_channels=cfg.ch, num_layers=cfg.num_layers, num_critical=cfg.num_critical,
                  margin_size=cfg.margin, conv_clamp=cfg.clamp, output_scale=cfg.output_scale, num_fp16_res=0)
    if cfg.kernel != 3 or cfg.radial:
        kwargs.update(conv_kernel=cfg.kernel, use_radial_filters=cfg.radial)
    return node("Generator", kwargs, children={"synthesis": synthesis, "mapping": mapping},
                z_dim=cfg.z, c_dim=cfg.c, w_dim=cfg.w, img_resolution=cfg.res, img_channels=cfg.ch, num_ws=cfg.num_ws)


def _upfirdn_2d(x, f, up=1, down=1, pad=(0, 0, 0, 0), gain=1.0):
    """Zero insertion, pad, one 2-D convolution with the outer product of a 1-D f (or a 2-D f), downsample."""
    n, c, h, w = x.shape
    if up > 1:
        z = x.new_zeros(n, c, h * up, w * up)
        z[:, :, ::up, ::up] = x
        x = z
    x = F.pad(x, list(pad))
    if f is not None:
        k = torch.outer(f, f) if f.ndim == 1 else f
        x = F.conv2d(x, (k * gain).flip([0, 1])[None, None].repeat(c, 1, 1, 1), groups=c)
    else:
        x = x * gain
    return x[:, :, ::down, ::down]


def reference_synthesis3(sd, cfg: Cfg3, ws):
    """StyleGAN3 pictures for ws (N, num_ws, w_dim) along NVlabs' reference path, written out here."""
    first, plan = sg3_geometry(cfg)
    n = ws.shape[0]
    # Fourier features
    t = _fc(sd, "synthesis.input.affine", ws[:, 0])
    t = t / t[:, :2].norm(dim=1, keepdim=True)
    rot = torch.zeros(n, 3, 3)
    rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1], rot[:, 2, 2] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0], 1
    shift = torch.eye(3).repeat(n, 1, 1)
    shift[:, 0, 2], shift[:, 1, 2] = -t[:, 2], -t[:, 3]
    m = rot @ shift @ sd["synthesis.input.transform"]
    f0, ph0 = sd["synthesis.input.freqs"], sd["synthesis.input.phases"]
    freqs = torch.einsum("ck,nkj->ncj", f0, m[:, :2, :2])
    phases = ph0[None] + torch.einsum("ck,nk->nc", f0, m[:, :2, 2])
    amp = (1 - (freqs.norm(dim=2) - first["bandwidth"]) / (first["rate"] / 2 - first["bandwidth"])).clamp(0, 1)
    size = first["size"]
    coord = (torch.arange(size, dtype=torch.float32) + 0.5 - size / 2) / first["rate"]  # pixel centres
    gx, gy = coord[None, :].expand(size, size), coord[:, None].expand(size, size)
    arg = gx[None, None] * freqs[:, :, 0, None, None] + gy[None, None] * freqs[:, :, 1, None, None] + phases[:, :, None, None]
    x = torch.sin(2 * math.pi * arg) * amp[:, :, None, None]
    wmix = sd["synthesis.input.weight"] / math.sqrt(first["channels"])
    x = torch.einsum("nchw,dc->ndhw", x, wmix)
    for i, p in enumerate(plan):
        pre = f"synthesis.{p['name']}"
        s = _fc(sd, f"{pre}.affine", ws[:, i + 1])
        weight = sd[f"{pre}.weight"]
        if p["torgb"]:
            s = s / math.sqrt(p["c_in"] * p["k"] ** 2)
        else:
            weight = weight / weight.square().mean(dim=[1, 2, 3], keepdim=True).sqrt()
            s = s / s.square().mean().sqrt()
        wn = weight[None] * s[:, None, :, None, None]
        if not p["torgb"]:
            wn = wn / (wn.square().sum(dim=[2, 3, 4], keepdim=True) + 1e-8).sqrt()
        wn = wn / sd[f"{pre}.magnitude_ema"].sqrt()
        x = F.conv2d(x.reshape(1, -1, *x.shape[2:]), wn.reshape(-1, p["c_in"], p["k"], p["k"]),
                     padding=p["k"] - 1, groups=n).reshape(n, p["c_out"], *(np.array(x.shape[2:]) + p["k"] - 1))
        x = x + sd[f"{pre}.bias"][None, :, None, None]
        x = _upfirdn_2d(x, sd.get(f"{pre}.up_filter"), up=p["up"], pad=p["pad"], gain=p["up"] ** 2)
        if not p["torgb"]:
            x = F.leaky_relu(x, 0.2) * math.sqrt(2)
        if cfg.clamp is not None:
            x = x.clamp(-cfg.clamp, cfg.clamp)
        x = _upfirdn_2d(x, sd.get(f"{pre}.down_filter"), down=p["down"])
        assert x.shape[2:] == (p["s_out"], p["s_out"]), (p["name"], x.shape)
    return x * cfg.output_scale


def reference_forward3(sd, cfg: Cfg3, z, c=None, psi=1.0):
    return reference_synthesis3(sd, cfg, reference_mapping(sd, cfg, z, c, psi))
