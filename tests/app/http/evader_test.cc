// Runs the HTTP Evader cases of the conformance corpus through capture,
// decode, flow tracking, TCP reassembly and HttpParser, and checks that the
// EICAR test file comes out of some transaction's decoded response body, as
// it does in Suricata for every one of these cases.
//
// KAGAMI_HTTP_EVADER_VERBOSE=1 prints each failing case with its response
// stream; KAGAMI_HTTP_EVADER_DUMP=DIR writes both streams of every case there.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "engine/app/http/http_parser.h"
#include "engine/decode/decoder.h"
#include "engine/flow/flow_table.h"
#include "engine/stream/tcp_reassembler.h"
#include "gtest/gtest.h"

namespace kagami::app::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEicarStart = "X5O!P%@AP[4";
constexpr std::string_view kEicarName = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE";
// Cases known to pass; the test fails if fewer do (raise it as fixes land).
constexpr int kFloor = 334;

struct Connection {
  std::unique_ptr<HttpParser> parser = std::make_unique<HttpParser>();
  uint64_t fed[2] = {0, 0};  // stream bytes handed to the parser per direction
  std::string streams[2];    // what was fed, for diagnostics
};

struct CaseResult {
  bool ok = false;
  int bodies_with_eicar = 0;
  std::string detail;
};

std::string Escape(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

class CaseRunner {
 public:
  CaseRunner() : flows_(flow::FlowOptions{}), tcp_(StreamOpts(), &flows_) {
    flows_.set_end_handler([this](flow::Flow& f, flow::FlowEnd) {
      for (const stream::StreamChunk& c : tcp_.Finish(f)) Deliver(f, c);
      auto it = conns_.find(f.id);
      if (it == conns_.end()) return;
      it->second.parser->Close(Direction::kToServer);
      it->second.parser->Close(Direction::kToClient);
      finished_.push_back(std::move(it->second));
      conns_.erase(it);
    });
  }

  bool Run(const std::string& pcap, std::string* error) {
    auto source = capture::OpenCaptureFile(pcap);
    if (!source.ok()) {
      *error = std::string(source.status().message());
      return false;
    }
    capture::PacketView view;
    for (;;) {
      auto more = (*source)->Next(view);
      if (!more.ok() || !*more) break;
      decode::Packet p;
      if (decoder_.Decode(view, p) != decode::DecodeResult::kOk || !p.has_tcp()) continue;
      flow::FlowLookup lookup = flows_.Process(p, view.ts_ns);
      if (!lookup.flow) continue;
      if (tcp_.IsNewSession(*lookup.flow, p)) {
        flows_.EndFlow(*lookup.flow, flow::FlowEnd::kReused);
        lookup = flows_.Process(p, view.ts_ns);
      }
      const stream::StreamUpdate& u = tcp_.Process(*lookup.flow, p, lookup.to_server);
      Deliver(*lookup.flow, u.own);
      Deliver(*lookup.flow, u.other);
    }
    flows_.EndAll();
    return true;
  }

  const std::vector<Connection>& finished() const { return finished_; }

 private:
  static stream::StreamOptions StreamOpts() {
    stream::StreamOptions o;
    o.midstream = false;
    o.depth = 0;
    return o;
  }

  void Deliver(flow::Flow& f, const stream::StreamChunk& c) {
    if (!c.has_new()) return;
    Connection& conn = conns_[f.id];
    const int d = c.to_server ? 0 : 1;
    const Direction dir = c.to_server ? Direction::kToServer : Direction::kToClient;
    const uint64_t start = c.stream_offset + c.new_from;
    if (start > conn.fed[d]) conn.parser->Gap(dir, start - conn.fed[d]);
    const uint8_t* data = c.data + c.new_from;
    const size_t len = c.len - c.new_from;
    conn.parser->Feed(dir, data, len);
    conn.streams[d].append(reinterpret_cast<const char*>(data), len);
    conn.fed[d] = start + len;
  }

  decode::Decoder decoder_;
  flow::FlowTable flows_;
  stream::TcpReassembler tcp_;
  std::map<uint64_t, Connection> conns_;
  std::vector<Connection> finished_;
};

CaseResult RunCase(const fs::path& dir, const char* dump_dir) {
  CaseResult r;
  CaseRunner runner;
  std::string error;
  if (!runner.Run((dir / "input.pcap").string(), &error)) {
    r.detail = "cannot read pcap: " + error;
    return r;
  }
  int conn_index = 0;
  for (const Connection& c : runner.finished()) {
    for (const Transaction& tx : c.parser->transactions()) {
      const bool both = tx.response_body.find(kEicarStart) != std::string::npos &&
                        tx.response_body.find(kEicarName) != std::string::npos;
      if (both) ++r.bodies_with_eicar;
    }
    if (dump_dir) {
      const std::string base = std::string(dump_dir) + "/" + dir.filename().string() + "." + std::to_string(conn_index);
      std::ofstream(base + ".req", std::ios::binary) << c.streams[0];
      std::ofstream(base + ".res", std::ios::binary) << c.streams[1];
    }
    ++conn_index;
  }
  r.ok = r.bodies_with_eicar >= 1;
  if (!r.ok) {
    for (const Connection& c : runner.finished()) {
      r.detail += "--- response stream:\n" + Escape(c.streams[1], 1500) + "\n";
      for (const Transaction& tx : c.parser->transactions()) {
        r.detail += "--- tx " + std::to_string(tx.id) + " status=" + tx.status_code +
                    " body(" + std::to_string(tx.response_body.size()) + "): " + Escape(tx.response_body, 300) +
                    "\n    anomalies:";
        for (Anomaly a : tx.anomalies) r.detail += " " + std::string(AnomalyName(a));
        r.detail += "\n";
      }
    }
  }
  return r;
}

TEST(HttpEvader, EicarDecodedFromEveryCase) {
  const fs::path root = fs::path(KAGAMI_SOURCE_DIR) / ".." / "shared" / "conformance" / "cases";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) GTEST_SKIP() << "no conformance corpus at " << root;
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory() && e.path().filename().string().rfind("http-evader-", 0) == 0) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) GTEST_SKIP() << "no http-evader cases under " << root;
  const bool verbose = std::getenv("KAGAMI_HTTP_EVADER_VERBOSE") != nullptr;
  const char* dump_dir = std::getenv("KAGAMI_HTTP_EVADER_DUMP");
  int passed = 0, more_than_once = 0;
  std::vector<std::string> failed;
  for (const fs::path& dir : cases) {
    const CaseResult r = RunCase(dir, dump_dir);
    if (r.ok) {
      ++passed;
      if (r.bodies_with_eicar > 1) ++more_than_once;
    } else {
      failed.push_back(dir.filename().string());
      if (verbose) std::printf("=== FAIL %s\n%s\n", dir.filename().string().c_str(), r.detail.c_str());
    }
  }
  std::printf("http-evader: %d of %zu cases decode the EICAR body (%d in more than one transaction)\n", passed,
              cases.size(), more_than_once);
  for (const std::string& f : failed) std::printf("  failed: %s\n", f.c_str());
  EXPECT_GE(passed, kFloor);
}

}  // namespace
}  // namespace kagami::app::http
