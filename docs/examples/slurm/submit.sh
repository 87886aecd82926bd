#!/bin/bash
# Submits the job array, then the merge, which starts only when every task has succeeded.
# Options given here (e.g. --array=0-31) go to the array's sbatch.
set -euo pipefail
here=$(dirname "$0")
array=$(sbatch --parsable "$@" "$here/sweep-array.sbatch")
echo "$array"
sbatch --parsable --dependency="afterok:${array%%;*}" "$here/merge.sbatch"
