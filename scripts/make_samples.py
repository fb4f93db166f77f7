"""Write the sample images that ship with seglab (from scikit-image's bundled data).

Run from the repository root: ``python scripts/make_samples.py``.
"""

from pathlib import Path

import imageio.v3 as iio
from skimage import data

OUT = Path(__file__).resolve().parents[1] / "src" / "seglab" / "samples"

SAMPLES = {
    "coins.png": data.coins,  # 303x384 gray uint8, 24 coins on an unevenly lit background
    "astronaut.png": data.astronaut,  # 512x512 RGB uint8
    "page.png": data.page,  # 191x384 gray uint8, an unevenly lit printed page
}

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in SAMPLES.items():
        iio.imwrite(OUT / name, make())
        print(OUT / name)
