#pragma once
// Shared by the pull tests: a scratch directory, and reading a written
// bundle back the way `kagami scan --intel` does.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/stix_reader.h"

namespace kagami::feeds::pull {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "kagami-pull-XXXXXX";
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(File(name), std::ios::binary) << text;
    return File(name);
  }

 private:
  std::string path_;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The indicators a scan would load from `path` at `now_unix`.
inline CollectingSink ReadBack(const std::string& path, int64_t now_unix, FeedReport* report_out = nullptr) {
  CollectingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = now_unix;
  EXPECT_TRUE(ReadStixString(Slurp(path), path, options, &sink, &report)) << path;
  if (report_out) *report_out = report;
  return sink;
}

}  // namespace kagami::feeds::pull
