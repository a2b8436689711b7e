#!/bin/bash
# One call of at most 10 minutes on the device machine (weights/README.md, "Training on a GPU"): trains
# SESSION_MINUTES more of a RUN_MINUTES run (resuming from the run folder when an earlier call left it
# there), exports the weights, and leaves them in $OUT in two parts of < 16 MB (the transfer limit) with
# the log, the losses and the loss curve. Run it again until the log says the run is over.
#
#   bash weights/train/gpu-session.sh DATA [TRAIN.PY OPTIONS...]   (DATA: photos/, luts/, objects/ of shared/data)
set -euo pipefail
DATA=${1:?usage: gpu-session.sh DATA [train.py options]}
shift
RUN=${RUN:-weights/train/runs/h100}
OUT=${OUT:?OUT: the folder whose files come back}
resume=()
if [ -f "$RUN/ckpt.pt" ]; then
  resume=(--resume)
fi
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
PYTHONUNBUFFERED=1 python3 weights/train/train.py --data "$DATA" --out "$RUN" --device "${DEVICE:-cuda}" \
  --batch "${BATCH:-32}" --size 256 --max-minutes "${RUN_MINUTES:-21}" \
  --session-minutes "${SESSION_MINUTES:-7.5}" --export "$RUN/ssh-harmonize.hzw" "${resume[@]}" "$@" 2>&1 |
  tee "$OUT/train.log"
split -b 15000000 -d "$RUN/ssh-harmonize.hzw" "$OUT/ssh-harmonize.hzw.part"
cp "$RUN/losses.csv" "$RUN/loss_curve.png" "$OUT/"
sha256sum "$RUN/ssh-harmonize.hzw" | tee "$OUT/ssh-harmonize.hzw.sha256"
