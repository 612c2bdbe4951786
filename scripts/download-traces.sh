#!/usr/bin/env bash
# Downloads the public Azure Functions traces into traces/public/ (ignored by git).
#
#   scripts/download-traces.sh [azure2019] [azure2021]     (default: both)
#
# Azure 2019: ~4 GB unpacked, 14 days of invocations_per_function_md.anon.dNN.csv and friends.
# Azure 2021: one CSV of ~2 million invocations, shipped as a RAR archive: it is unpacked when
#             unrar or 7z is installed, otherwise the archive is left for you to unpack.
# Huawei 2023: hosted on Google Drive; download by hand from https://github.com/sir-lab/data-release
#
# Data: Microsoft Azure Public Dataset, CC BY 4.0. Cite the papers named in traces/README.md.
# Files already present are not downloaded again.
set -euo pipefail

AZURE2019_URL="https://azurepublicdatasettraces.blob.core.windows.net/azurepublicdatasetv2/azurefunctions_dataset2019/azurefunctions-dataset2019.tar.xz"
AZURE2021_URL="https://github.com/Azure/AzurePublicDataset/raw/master/data/AzureFunctionsInvocationTraceForTwoWeeksJan2021.rar"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${repo}/traces/public"

fetch() { # url file
  if [[ -s "$2" ]]; then
    echo "have $2"
    return
  fi
  echo "downloading $1"
  curl --fail --location --retry 3 --continue-at - --output "$2.part" "$1"
  mv "$2.part" "$2"
}

azure2019() {
  local dir="${out}/azure2019"
  mkdir -p "$dir"
  fetch "$AZURE2019_URL" "${dir}/azurefunctions-dataset2019.tar.xz"
  if ! compgen -G "${dir}/invocations_per_function_md.anon.d*.csv" >/dev/null; then
    tar -xJf "${dir}/azurefunctions-dataset2019.tar.xz" -C "$dir"
  fi
  echo "Azure 2019 in ${dir}: read one day at a time, e.g. ${dir}/invocations_per_function_md.anon.d01.csv"
}

azure2021() {
  local dir="${out}/azure2021"
  local archive="${dir}/AzureFunctionsInvocationTraceForTwoWeeksJan2021.rar"
  mkdir -p "$dir"
  fetch "$AZURE2021_URL" "$archive"
  if compgen -G "${dir}/*.csv" >/dev/null; then
    :
  elif command -v unrar >/dev/null; then
    unrar x -o- "$archive" "${dir}/"
  elif command -v 7z >/dev/null; then
    7z x -y "-o${dir}" "$archive"
  else
    echo "unpack ${archive} with unrar or 7z (neither is installed)" >&2
    return
  fi
  echo "Azure 2021 in ${dir}"
}

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(azure2019 azure2021)
fi
for target in "${targets[@]}"; do
  case "$target" in
    azure2019) azure2019 ;;
    azure2021) azure2021 ;;
    *)
      echo "unknown trace '${target}': choose azure2019 or azure2021 (Huawei: see traces/README.md)" >&2
      exit 2
      ;;
  esac
done
