#!/usr/bin/env bash
# The shorter ISBI 2012 comparison runs of docs/quality.md: every other architecture on the shipped unet's
# recipe (train 00-21, choose the epoch on 22-24, score 25-29 once, no test-time augmentation), a fixed
# budget of EPOCHS x 100 steps of four 256² crops each. Usage:
#   bash benchmarks/deep/isbi_models.sh ../shared/data/isbi2012_em /work/runs/isbi-models [EPOCHS] [THREADS]
set -euo pipefail
data=$1; out=$2; epochs=${3:-3}; threads=${4:-1}
here=$(dirname "$0")
mkdir -p "$out"
declare -A configs=(
  [cnn]='{"width": 32, "depth": 3}'
  [fcn]='{"backbone": "resnet18"}'
  [segnet]='{"base_width": 16, "depth": 4}'
  [deeplab]='{"backbone": "resnet18", "decoder_channels": 64}'
  [vit_seg]='{"patch_size": 16, "hidden_dim": 128, "num_layers": 4, "num_heads": 4, "mlp_dim": 256, "image_size": 256}'
)
for arch in cnn fcn segnet deeplab vit_seg; do
  python "$here/train_isbi.py" --data "$data" --out "$out/$arch.pt" --arch "$arch" --config "${configs[$arch]}" \
    --epochs "$epochs" --threads "$threads"
  python "$here/eval_isbi.py" --data "$data" --weights "$out/$arch.pt" --no-tta -o "$out/$arch.json" > /dev/null
done
