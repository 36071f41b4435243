// OpenCaptureFile and ExpandInputs: the file-level entry points of capture/.

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "capture/byte_order.h"
#include "capture/mapped_file.h"
#include "capture/packet_source.h"
#include "capture/pcap_reader.h"
#include "capture/pcapng_reader.h"

namespace kagami::capture {

absl::StatusOr<std::unique_ptr<PacketSource>> OpenCaptureFile(const std::string& path) {
  absl::StatusOr<MappedFile> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  if (file->size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a pcap or pcapng file (only ", file->size(), " bytes)"));
  }
  const uint32_t magic = LoadHostU32(file->data());
  if (magic == PcapngReader::kMagic) {
    absl::StatusOr<std::unique_ptr<PcapngReader>> r =
        PcapngReader::Open(path, *std::move(file));
    if (!r.ok()) return r.status();
    return std::unique_ptr<PacketSource>(*std::move(r));
  }
  if (PcapReader::IsMagic(magic)) {
    absl::StatusOr<std::unique_ptr<PcapReader>> r = PcapReader::Open(path, *std::move(file));
    if (!r.ok()) return r.status();
    return std::unique_ptr<PacketSource>(*std::move(r));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": not a pcap or pcapng file (magic 0x",
                   absl::Hex(LoadBigU32(file->data()), absl::kZeroPad8), ")"));
}

absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& input : inputs) {
    std::error_code ec;
    const fs::file_status st = fs::status(input, ec);
    if (ec || !fs::exists(st)) {
      return absl::NotFoundError(absl::StrCat(
          input, ": ", ec ? ec.message() : std::string("no such file or directory")));
    }
    if (!fs::is_directory(st)) {
      // Anything else is passed on as named; opening it reports what is wrong.
      out.push_back(input);
      continue;
    }
    std::vector<std::string> found;
    // Symlinked directories are not followed, so a link loop cannot recurse.
    fs::recursive_directory_iterator it(input, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_regular_file(type_ec)) found.push_back(it->path().string());
    }
    if (ec) return absl::UnknownError(absl::StrCat(input, ": cannot list: ", ec.message()));
    std::sort(found.begin(), found.end());
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return out;
}

}  // namespace kagami::capture
