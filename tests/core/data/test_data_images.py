"""Bundled digits and image folders: colour modes, cropping, caching, and every kind of bad input."""

import io
import logging
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.data.images import ImageFolder, load_digits, load_image
from ganstudio.core.errors import ConfigError, DataError

RED = (1.0, -1.0, -1.0)
WHITE = (1.0, 1.0, 1.0)


def colour_at(image: torch.Tensor, y: int = 0, x: int = 0) -> list[float]:
    return image[:, y, x].tolist()


def save(image: Image.Image, path: Path, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def solid_png(path: Path, colour=(255, 0, 0), size=(8, 8)) -> Path:
    return save(Image.new("RGB", size, colour), path)


# --- digits ----------------------------------------------------------------------------------------


def test_digits_are_1797_images_with_ten_classes_in_minus_one_to_one():
    digits = load_digits()
    assert len(digits) == 1797
    assert digits.images.shape == (1797, 1, 32, 32)
    assert digits.images.dtype == torch.float32
    assert digits.labels.dtype == torch.int64
    assert digits.images.min() == -1.0 and digits.images.max() == 1.0
    assert digits.n_classes == 10
    counts = torch.bincount(digits.labels, minlength=10)
    assert counts.sum() == 1797 and (counts > 170).all()
    image, label = digits[0]
    assert image.shape == (1, 32, 32) and int(label) == 0


def test_digits_at_native_size_keep_the_16_grey_levels_and_dark_background():
    digits = load_digits(size=8)
    levels = torch.unique(digits.images)
    assert torch.allclose(levels, torch.linspace(-1, 1, 17)[torch.round((levels + 1) * 8).long()])
    # Ink is bright on a dark background: the border pixels are mostly background (-1).
    border = torch.cat([digits.images[:, 0, 0, :], digits.images[:, 0, :, 0]], dim=1)
    assert (border == -1).float().mean() > 0.7


def test_digits_upscaled_bilinearly_keep_each_digit_shape():
    small = load_digits(size=8).images
    large = load_digits(size=32).images
    shrunk = torch.nn.functional.avg_pool2d(large, 4)
    correlation = torch.corrcoef(torch.stack([shrunk.flatten(), small.flatten()]))[0, 1]
    assert correlation > 0.95
    # Bilinear, not nearest: the upscaled images have smooth in-between grey levels.
    assert torch.unique(large).numel() > 100


def test_digit_class_filter_keeps_digit_labels():
    digits = load_digits(size=16, classes=[3, 7])
    assert set(digits.labels.tolist()) == {3, 7}
    assert digits.classes == (3, 7)
    assert digits.n_classes == 10
    assert len(digits) == int((load_digits(size=8).labels == 3).sum() + (load_digits(8).labels == 7).sum())


@pytest.mark.parametrize("classes", [[], [10], ["x"]])
def test_bad_digit_classes_are_config_errors(classes):
    with pytest.raises(ConfigError, match="Digit classes"):
        load_digits(classes=classes)


def test_bad_image_size_is_a_config_error():
    with pytest.raises(ConfigError, match="Image size 0"):
        load_digits(size=0)


# --- colour modes ----------------------------------------------------------------------------------


def test_rgb_and_grey_files_keep_their_colours(tmp_path):
    red = load_image(solid_png(tmp_path / "red.png"), 8)
    assert red.shape == (3, 8, 8) and red.dtype == torch.float32
    assert colour_at(red) == pytest.approx(RED)
    grey = load_image(save(Image.new("L", (8, 8), 0), tmp_path / "black.png"), 8)
    assert colour_at(grey) == pytest.approx([-1.0, -1.0, -1.0])
    one_bit = load_image(save(Image.new("1", (8, 8), 1), tmp_path / "one.bmp"), 8)
    assert colour_at(one_bit) == pytest.approx(WHITE)


def test_rgba_transparency_is_composited_on_white(tmp_path):
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent red
    image.paste((255, 0, 0, 255), (0, 0, 4, 8))  # opaque red on the left
    image.paste((255, 0, 0, 128), (4, 0, 6, 8))  # half transparent red
    loaded = load_image(save(image, tmp_path / "alpha.png"), 8)
    assert colour_at(loaded, x=1) == pytest.approx(RED)
    # 50 % red over white is (255, 127, 127): green and blue near 0 in [-1, 1].
    assert colour_at(loaded, x=4) == pytest.approx([1.0, 0.0, 0.0], abs=0.03)
    assert colour_at(loaded, x=7) == pytest.approx(WHITE)


def test_rgba_webp_and_la_transparency_become_white(tmp_path):
    webp = load_image(save(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), tmp_path / "a.webp", lossless=True), 8)
    assert colour_at(webp) == pytest.approx(WHITE)
    la = load_image(save(Image.new("LA", (8, 8), (0, 0)), tmp_path / "la.png"), 8)
    assert colour_at(la) == pytest.approx(WHITE)


def test_palette_images_use_their_palette_and_transparent_index(tmp_path):
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 0, 0, 255, 0, 255, 0] + [0] * (253 * 3))
    image.paste(2, (4, 0, 8, 8))
    blue_green = load_image(save(image, tmp_path / "palette.png"), 8)
    assert colour_at(blue_green, x=0) == pytest.approx([-1.0, -1.0, 1.0])
    assert colour_at(blue_green, x=7) == pytest.approx([-1.0, 1.0, -1.0])

    gif = load_image(save(image, tmp_path / "palette.gif", transparency=2), 8)
    assert colour_at(gif, x=0) == pytest.approx([-1.0, -1.0, 1.0])
    assert colour_at(gif, x=7) == pytest.approx(WHITE)


def test_cmyk_jpeg_and_tiff_come_out_red(tmp_path):
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))
    jpeg = load_image(save(cmyk, tmp_path / "cmyk.jpg", quality=100), 8)
    assert colour_at(jpeg, 3, 3) == pytest.approx(RED, abs=0.05)
    tiff = load_image(save(cmyk, tmp_path / "cmyk.tif"), 8)
    assert colour_at(tiff) == pytest.approx(RED)


def test_sixteen_bit_grey_is_scaled_not_clipped_to_white(tmp_path):
    ramp = (np.arange(256, dtype=np.uint32).reshape(16, 16) * 257).astype(np.uint16)  # 0 .. 65535
    image = Image.fromarray(ramp)
    assert image.mode == "I;16"
    loaded = load_image(save(image, tmp_path / "deep.png"), 16)
    values = loaded[0].flatten()
    assert values.min() == -1.0 and values.max() == 1.0
    assert (values.diff() > 0).all()  # every step of the ramp is a distinct grey level
    assert loaded[0, 8, 0].item() == pytest.approx(0.0, abs=0.01)  # 128 * 257 is mid grey


def test_32_bit_integer_and_float_greys_are_scaled(tmp_path):
    ints = Image.fromarray((np.arange(256).reshape(16, 16) * 257).astype(np.int32))
    assert ints.mode == "I"
    loaded = load_image(save(ints, tmp_path / "ints.tif"), 16)
    assert loaded.min() == -1.0 and loaded.max() == 1.0 and (loaded[0].flatten().diff() > 0).all()

    floats = Image.fromarray(np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16))
    assert floats.mode == "F"
    loaded = load_image(save(floats, tmp_path / "floats.tiff"), 16)
    assert loaded.min() == -1.0 and loaded.max() == 1.0
    assert loaded[0, 8, 0].item() == pytest.approx(0.0, abs=0.02)


def test_every_mode_in_one_folder_is_read_and_none_skipped(tmp_path):
    saves = {
        "rgb.jpg": Image.new("RGB", (8, 8), "red"),
        "l.png": Image.new("L", (8, 8), 40),
        "la.png": Image.new("LA", (8, 8), (40, 200)),
        "p.gif": Image.new("P", (8, 8), 3),
        "rgba.webp": Image.new("RGBA", (8, 8), (1, 2, 3, 4)),
        "deep.png": Image.fromarray(np.full((8, 8), 40000, dtype=np.uint16)),
        "ints.tif": Image.fromarray(np.full((8, 8), 300, dtype=np.int32)),
        "floats.tif": Image.fromarray(np.full((8, 8), 0.5, dtype=np.float32)),
        "cmyk.jpg": Image.new("CMYK", (8, 8), (10, 20, 30, 40)),
        "bits.bmp": Image.new("1", (8, 8), 0),
    }
    for name, image in saves.items():
        save(image, tmp_path / name)
    folder = ImageFolder(tmp_path, 8)
    assert folder.skipped == []
    assert len(folder) == len(saves)
    for item in folder:
        assert item.shape == (3, 8, 8) and item.dtype == torch.float32
        assert item.min() >= -1 and item.max() <= 1


def test_exif_rotation_is_applied(tmp_path):
    image = Image.new("RGB", (16, 8), "blue")
    image.paste((255, 0, 0), (0, 0, 8, 8))  # red left half, blue right half as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    rotated = load_image(save(image, tmp_path / "phone.jpg", exif=exif, quality=100), 8)
    # Displayed upright the image is 8 wide and 16 high: red on top, so the centre crop mixes both.
    assert rotated[0, 0, 4] > 0.8 and rotated[2, 7, 4] > 0.8


# --- image folders ---------------------------------------------------------------------------------


def test_folder_scan_is_recursive_case_insensitive_and_skips_non_images(tmp_path):
    solid_png(tmp_path / "a.PNG")
    save(Image.new("RGB", (8, 8), "green"), tmp_path / "sub" / "deeper" / "b.JpG")
    solid_png(tmp_path / "sub" / "c.bmp")
    (tmp_path / "notes.txt").write_text("not an image")
    solid_png(tmp_path / ".thumbnails" / "hidden.png")
    folder = ImageFolder(tmp_path, 8)
    assert [p.relative_to(tmp_path).as_posix() for p in folder.files] == [
        "a.PNG", "sub/c.bmp", "sub/deeper/b.JpG"
    ]
    assert folder.skipped == []


def test_items_are_shorter_side_resized_and_centre_cropped(tmp_path):
    wide = Image.new("RGB", (40, 20), "red")
    wide.paste((0, 255, 0), (10, 0, 30, 20))  # the centre square is green
    save(wide, tmp_path / "wide.png")
    item = ImageFolder(tmp_path, 10)[0]
    assert item.shape == (3, 10, 10)
    assert torch.allclose(item[:, 1:-1, 1:-1], torch.tensor([-1.0, 1.0, -1.0])[:, None, None], atol=0.02)


def test_linked_folder_loop_is_scanned_once(tmp_path):
    solid_png(tmp_path / "sub" / "a.png")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    calls = []
    folder = ImageFolder(tmp_path, 8, progress=lambda done, total: calls.append((done, total)))
    assert [p.name for p in folder.files] == ["a.png"]
    assert calls[-1] == (1, 1)


def test_grey_channel_option(tmp_path):
    solid_png(tmp_path / "white.png", colour=(255, 255, 255))
    folder = ImageFolder(tmp_path, 8, channels=1)
    assert folder[0].shape == (1, 8, 8)
    assert folder[0].eq(1.0).all()
    with pytest.raises(ConfigError, match="channels 2"):
        ImageFolder(tmp_path, 8, channels=2)


def test_small_folder_is_cached_and_big_one_decoded_on_demand(tmp_path):
    for i, colour in enumerate(["red", "green", "blue"]):
        save(Image.new("RGB", (12, 12), colour), tmp_path / f"{i}.png")
    cached = ImageFolder(tmp_path, 8)
    assert cached.cached
    everything = cached.to_tensor()
    assert everything.shape == (3, 3, 8, 8) and everything.dtype == torch.float32
    assert torch.equal(everything, torch.stack([cached[i] for i in range(3)]))

    on_demand = ImageFolder(tmp_path, 8, cache_limit_bytes=0)
    assert not on_demand.cached
    assert torch.equal(torch.stack(list(on_demand)), everything)
    with pytest.raises(DataError, match=f"{tmp_path}.*too big"):
        on_demand.to_tensor()


def test_on_demand_folder_pickles_and_works_with_worker_processes(tmp_path):
    for i in range(4):
        solid_png(tmp_path / f"{i}.png", colour=(i * 60, 0, 0))
    folder = ImageFolder(tmp_path, 8, cache_limit_bytes=0)
    copy = pickle.loads(pickle.dumps(folder))
    assert torch.equal(copy[2], folder[2])
    loader = torch.utils.data.DataLoader(folder, batch_size=2, num_workers=1)
    batches = list(loader)
    assert torch.equal(torch.cat(batches), torch.stack(list(folder)))


def test_load_image_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="missing.png does not exist"):
        load_image(tmp_path / "missing.png", 8)
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(DataError, match="text.png cannot be read"):
        load_image(tmp_path / "text.png", 8)


# --- bad folders and broken files ------------------------------------------------------------------


def test_missing_folder_is_a_data_error_naming_it(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path / 'nowhere'} does not exist"):
        ImageFolder(tmp_path / "nowhere", 8)


def test_file_instead_of_folder_is_a_data_error(tmp_path):
    path = solid_png(tmp_path / "one.png")
    with pytest.raises(DataError, match=f"{path} is not a folder"):
        ImageFolder(path, 8)


def test_empty_folder_and_folder_without_images_are_data_errors(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path} contains no image files"):
        ImageFolder(tmp_path, 8)
    (tmp_path / "readme.txt").write_text("no pictures here")
    with pytest.raises(DataError, match=f"{tmp_path} contains no image files"):
        ImageFolder(tmp_path, 8)


def truncated_png(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
        buffer, "PNG"
    )
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def truncated_jpeg(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
        buffer, "JPEG"
    )
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A few hundred bytes whose header claims width x height pixels (10 billion by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_broken_files_are_skipped_counted_and_logged(tmp_path, caplog):
    solid_png(tmp_path / "good1.png")
    solid_png(tmp_path / "sub" / "good2.png")
    truncated_png(tmp_path / "cut.png")
    truncated_jpeg(tmp_path / "cut.jpg")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "letter.png").write_text("Dear reader, this is not a picture.")
    png_bomb(tmp_path / "bomb.png")

    with caplog.at_level(logging.WARNING, logger="ganstudio.core.data.images"):
        folder = ImageFolder(tmp_path, 8)

    assert len(folder) == 2
    reasons = {path.name: reason for path, reason in folder.skipped}
    assert set(reasons) == {"cut.png", "cut.jpg", "empty.png", "letter.png", "bomb.png"}
    assert "truncated" in reasons["cut.png"].lower() and "truncated" in reasons["cut.jpg"].lower()
    assert reasons["empty.png"] == "empty file"
    assert "not an image" in reasons["letter.png"]
    assert "decompression bomb" in reasons["bomb.png"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "Skipped 5" in message and str(tmp_path) in message
    assert "bomb.png" in message and "empty.png" in message


def test_image_over_the_pixel_limit_is_skipped(tmp_path, caplog):
    solid_png(tmp_path / "small.png", size=(10, 10))
    solid_png(tmp_path / "large.png", size=(100, 100))
    with caplog.at_level(logging.WARNING):
        folder = ImageFolder(tmp_path, 8, max_pixels=5000)
    assert [p.name for p in folder.files] == ["small.png"]
    assert folder.skipped[0][0].name == "large.png"
    assert "100x100" in folder.skipped[0][1] and "decompression bomb" in folder.skipped[0][1]
    assert "large.png" in caplog.text


def test_pil_bomb_warning_range_is_also_refused(tmp_path, monkeypatch):
    # Between PIL's limit and twice it PIL only warns; that must not let the file through.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)
    solid_png(tmp_path / "warned.png", size=(10, 10))  # 100 pixels: a warning, not an error, in PIL
    solid_png(tmp_path / "tiny.png", size=(5, 5))
    folder = ImageFolder(tmp_path, 4)
    assert [p.name for p in folder.files] == ["tiny.png"]
    assert "decompression bomb" in folder.skipped[0][1]


def test_folder_of_only_broken_files_is_a_data_error_with_the_count(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "b.jpg").write_text("text")
    truncated_png(tmp_path / "c.png")
    with pytest.raises(DataError, match=f"{tmp_path} has no readable image: all 3 image file"):
        ImageFolder(tmp_path, 8)
