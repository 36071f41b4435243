#include "cli/reloader.h"

#include <malloc.h>
#include <openssl/evp.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/output/eve_writer.h"

namespace kagami::cli {
namespace {

std::string NowIso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The files a path names as LoadRules reads them: a file, or a directory's
// *.rules beneath it.
void RuleFiles(const std::string& path, std::vector<std::string>* out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    out->push_back(path);
    return;
  }
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ".rules") found.push_back(e.path().string());
  }
  std::sort(found.begin(), found.end());
  out->insert(out->end(), found.begin(), found.end());
}

}  // namespace

std::string RulesetInfo::Json() const {
  std::string out = absl::StrCat("{\"ok\":", ok ? "true" : "false", ",\"number\":", number, ",\"rules\":", rules,
                                 ",\"indicators\":", indicators, ",\"rule_errors\":", rule_errors,
                                 ",\"seconds\":", absl::StrFormat("%.3f", seconds),
                                 ",\"sources_sha256\":");
  output::AppendJsonString(out, digest);
  out += ",\"at\":";
  output::AppendJsonString(out, at);
  if (!error.empty()) {
    out += ",\"error\":";
    output::AppendJsonString(out, error);
  }
  out += "}";
  return out;
}

std::string SourcesDigest(const RuleOptions& rules, const IntelArgs& intel) {
  std::vector<std::string> files;
  for (const std::string& p : rules.rule_paths) {
    RuleFiles(p, &files);
  }
  if (!rules.threshold_file.empty()) files.push_back(rules.threshold_file);
  if (!rules.classification.empty()) files.push_back(rules.classification);
  files.insert(files.end(), intel.feeds.begin(), intel.feeds.end());
  files.insert(files.end(), intel.exact_feeds.begin(), intel.exact_feeds.end());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  for (const std::string& f : files) {
    // The path and its length first, so moving bytes between files shows.
    const std::string head = absl::StrCat(f.size(), ":", f, "\n");
    EVP_DigestUpdate(ctx, head.data(), head.size());
    std::ifstream in(f, std::ios::binary);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppend(&hex, absl::Hex(md[i], absl::kZeroPad2));
  return hex;
}

Reloader::Reloader(RuleOptions rules, IntelArgs intel, pipeline::RulesetSlot* slot, RulesetInfo initial)
    : rules_(std::move(rules)), intel_(std::move(intel)), slot_(slot), current_(initial), last_(initial) {
  thread_ = std::thread([this] { Loop(); });
  pthread_setname_np(thread_.native_handle(), "kagami-reload");
}

Reloader::~Reloader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

RulesetInfo Reloader::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

RulesetInfo Reloader::last_attempt() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

uint64_t Reloader::refused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

RulesetInfo Reloader::ReloadAndWait() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t ticket = ++asked_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return done_ >= ticket || stop_; });
  return last_;
}

void Reloader::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_ || asked_ > done_; });
    if (stop_) return;
    if (trim_pending_ && retiring_engine_.expired() && retiring_intel_.expired()) {
      trim_pending_ = false;
      malloc_trim(0);
    }
    if (signalled_.exchange(false, std::memory_order_relaxed)) ++asked_;
    if (asked_ == done_) continue;
    const uint64_t number = last_.number + 1;
    lock.unlock();
    RulesetInfo info = Reload(number);  // the workers go on meanwhile
    lock.lock();
    last_ = info;
    if (info.ok) {
      current_ = info;
    } else {
      ++refused_;
    }
    ++done_;
    cv_.notify_all();
  }
}

RulesetInfo Reloader::Reload(uint64_t number) {
  RulesetInfo info;
  info.number = number;
  info.at = NowIso();
  const auto t0 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "kagami: reload #%llu: reading the rules and feeds\n", static_cast<unsigned long long>(number));
  LoadedEngine engine;
  LoadedIntel intel;
  bool ok = LoadEngine(rules_, engine) && LoadIntel(intel_, intel);
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  info.digest = SourcesDigest(rules_, intel_);
  info.rule_errors = engine.errors;
  const RulesetInfo kept = current();
  if (ok && engine.errors > kept.rule_errors) {
    ok = false;
    info.error = absl::StrCat(engine.errors, " rule errors where the ruleset in use has ", kept.rule_errors,
                              " (see the diagnostics); ruleset #", kept.number, " stays");
  }
  if (!ok) {
    if (info.error.empty()) {
      info.error = absl::StrCat("the new rules or feeds did not load (see the diagnostics); ruleset #", kept.number,
                                " stays");
    }
    std::fprintf(stderr, "kagami: reload #%llu failed after %.2f s: ruleset #%llu (%zu rules, %zu indicators) stays\n",
                 static_cast<unsigned long long>(number), info.seconds, static_cast<unsigned long long>(kept.number),
                 kept.rules, kept.indicators);
    return info;
  }
  info.ok = true;
  info.rules = engine.rules;
  info.indicators = intel.store ? intel.store->size() : 0;
  const pipeline::Ruleset replaced = slot_->Get();
  slot_->Publish(pipeline::Ruleset{engine.engine, intel.store, DigestKinds(intel_)});
  {
    std::lock_guard<std::mutex> lock(mu_);
    retiring_engine_ = replaced.engine;
    retiring_intel_ = replaced.intel;
    trim_pending_ = true;
  }
  std::fprintf(stderr, "kagami: reload #%llu ok: %zu rules, %zu indicators in %.2f s (sources sha256 %s)\n",
               static_cast<unsigned long long>(number), info.rules, info.indicators, info.seconds,
               info.digest.c_str());
  return info;
}

}  // namespace kagami::cli
