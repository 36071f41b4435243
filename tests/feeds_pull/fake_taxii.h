#pragma once
// FakeTaxii: a TAXII 2.1 server on an HttpTestServer, for the pull tests and
// the end-to-end test. It serves a discovery resource at /taxii2/, one API
// root at /api1/ with two collections (one readable, one not), and the
// readable collection's objects at /api1/collections/ID/objects/ with the
// spec's paging: added_after (strictly after each object's date added),
// limit, an opaque `next`, and X-TAXII-Date-Added-First/-Last headers. It
// answers 406 to a request that does not accept the TAXII media type, and
// 401 when authentication is configured and the request lacks it.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/http_test_server.h"

namespace kagami::testing {

inline constexpr char kTaxiiCollection[] = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
inline constexpr char kTaxiiClosedCollection[] = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4";

inline std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// The value of query parameter `name` (percent-decoded); "" when absent.
inline std::string QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      std::string out;
      const std::string_view v = pair.substr(eq + 1);
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
          out += static_cast<char>(std::strtol(std::string(v.substr(i + 1, 2)).c_str(), nullptr, 16));
          i += 2;
        } else {
          out += v[i] == '+' ? ' ' : v[i];
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

// A STIX 2.1 indicator object in the shape of the OASIS examples.
inline std::string StixIndicator(const std::string& uuid, const std::string& pattern, const std::string& modified,
                                 const std::string& extra = "") {
  std::string escaped;
  for (char c : pattern) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--" + uuid +
         "\",\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"" + modified +
         "\",\"indicator_types\":[\"malicious-activity\"],\"pattern\":\"" + escaped +
         "\",\"pattern_type\":\"stix\",\"valid_from\":\"2016-01-01T00:00:00Z\"" + extra + "}";
}

class FakeTaxii {
 public:
  explicit FakeTaxii(HttpTestServer* server) : server_(server) {
    server_->Handle("/taxii2/", [this](const HttpTestRequest& r) { return Discovery(r); });
    server_->Handle("/api1/", [this](const HttpTestRequest& r) { return ApiRoot(r); });
  }

  // Authentication every request must carry (call before requests come).
  void RequireBasic(const std::string& user, const std::string& password) {
    std::lock_guard<std::mutex> lock(mu_);
    authorization_ = "Basic " + Base64(user + ":" + password);
  }
  void RequireToken(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    authorization_ = "Bearer " + token;
  }
  // Pages on by X-TAXII-Date-Added-Last only, without `next`.
  void SendNext(bool send) {
    std::lock_guard<std::mutex> lock(mu_);
    send_next_ = send;
  }
  // What the objects endpoint answers instead, when set.
  void OverrideObjects(std::optional<HttpTestResponse> response) {
    std::lock_guard<std::mutex> lock(mu_);
    override_ = std::move(response);
  }

  // Adds an object to the collection, added at `date_added` (later than
  // every earlier one, in the same format, so that text order is time order).
  void Add(std::string object_json, std::string date_added) {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.push_back({std::move(object_json), std::move(date_added)});
  }

  std::string discovery_url() const { return server_->Url("/taxii2/"); }
  std::string api_root_url() const { return server_->Url("/api1/"); }
  std::string objects_path() const { return std::string("/api1/collections/") + kTaxiiCollection + "/objects/"; }

 private:
  struct Entry {
    std::string json;
    std::string date_added;
  };

  static HttpTestResponse Json(std::string body, HttpHeaders extra = {}) {
    HttpTestResponse r;
    r.headers = {{"Content-Type", "application/taxii+json;version=2.1"}};
    r.headers.insert(r.headers.end(), extra.begin(), extra.end());
    r.body = std::move(body);
    return r;
  }

  // The response refusing `r`, if it must be refused.
  std::optional<HttpTestResponse> Refuse(const HttpTestRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string* auth = r.Header("authorization");
    if (!authorization_.empty() && (!auth || *auth != authorization_)) {
      HttpTestResponse out;
      out.status = 401;
      out.headers = {{"WWW-Authenticate", "Basic realm=\"taxii\""}, {"Content-Type", "application/taxii+json;version=2.1"}};
      out.body = "{\"title\":\"Unauthorized\",\"http_status\":\"401\"}";
      return out;
    }
    const std::string* accept = r.Header("accept");
    if (!accept || accept->find("application/taxii+json") == std::string::npos) {
      return HttpTestResponse{.status = 406, .body = "{\"title\":\"Not Acceptable\"}"};
    }
    return std::nullopt;
  }

  HttpTestResponse Discovery(const HttpTestRequest& r) {
    if (auto refused = Refuse(r)) return *refused;
    return Json("{\"title\":\"Kagami test TAXII server\",\"description\":\"for tests\",\"contact\":\"nobody\","
                "\"default\":\"" + server_->Url("/api1/") + "\",\"api_roots\":[\"" + server_->Url("/api1/") +
                "\",\"/api2/\"]}");
  }

  HttpTestResponse ApiRoot(const HttpTestRequest& r) {
    if (auto refused = Refuse(r)) return *refused;
    if (r.path == "/api1/") {
      return Json("{\"title\":\"Test API root\",\"versions\":[\"application/taxii+json;version=2.1\"],"
                  "\"max_content_length\":104857600}");
    }
    if (r.path == "/api1/collections/") {
      return Json(std::string("{\"collections\":[{\"id\":\"") + kTaxiiCollection +
                  "\",\"title\":\"High Value Indicator Collection\",\"can_read\":true,\"can_write\":false,"
                  "\"media_types\":[\"application/stix+json;version=2.1\"]},{\"id\":\"" + kTaxiiClosedCollection +
                  "\",\"title\":\"Write only\",\"can_read\":false,\"can_write\":true}]}");
    }
    if (r.path == objects_path()) return Objects(r);
    return HttpTestResponse{.status = 404, .body = "{\"title\":\"Not Found\"}"};
  }

  HttpTestResponse Objects(const HttpTestRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (override_) return *override_;
    const std::string added_after = QueryParam(r.query, "added_after");
    const std::string limit_text = QueryParam(r.query, "limit");
    const std::string next = QueryParam(r.query, "next");
    std::vector<const Entry*> matching;
    for (const Entry& e : objects_) {
      if (added_after.empty() || e.date_added > added_after) matching.push_back(&e);
    }
    const size_t start = next.empty() ? 0 : std::strtoul(next.c_str(), nullptr, 10);
    const size_t limit = limit_text.empty() ? 100 : std::strtoul(limit_text.c_str(), nullptr, 10);
    const size_t end = std::min(matching.size(), start + limit);
    const bool more = end < matching.size();
    std::string body = std::string("{\"more\":") + (more ? "true" : "false");
    if (more && send_next_) body += ",\"next\":\"" + std::to_string(end) + "\"";
    HttpHeaders headers;
    if (start < end) {
      body += ",\"objects\":[";
      for (size_t i = start; i < end; ++i) body += (i > start ? "," : "") + matching[i]->json;
      body += "]";
      headers = {{"X-TAXII-Date-Added-First", matching[start]->date_added},
                 {"X-TAXII-Date-Added-Last", matching[end - 1]->date_added}};
    }
    body += "}";
    return Json(std::move(body), std::move(headers));
  }

  HttpTestServer* server_;
  std::mutex mu_;
  std::string authorization_;
  bool send_next_ = true;
  std::optional<HttpTestResponse> override_;
  std::vector<Entry> objects_;
};

}  // namespace kagami::testing
