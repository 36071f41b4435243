#pragma once
// FakeMisp: a MISP instance's attribute search (POST /attributes/restSearch,
// key checked, filters timestamp / to_ids / deleted, paged by page and
// limit) and a static feed (/feed/manifest.json and /feed/<uuid>.json) on
// an HttpTestServer, with bodies shaped like MISP's.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rapidjson/document.h"
#include "tests/support/http_test_server.h"

namespace kagami::testing {

struct FakeMispAttribute {
  std::string uuid;
  std::string type;
  std::string value;
  int64_t timestamp = 1700000000;
  bool to_ids = true;
  bool deleted = false;
  std::string event_id = "1";
  std::string event_uuid = "5e6b322a-9f80-4e2f-9f2e-3f7b0a1c2d3e";
  std::string info = "Tick campaign infrastructure";
  std::string tags_json = "[]";  // the attribute's Tag list, event tags included

  std::string Json() const {
    return "{\"id\":\"" + std::to_string(std::hash<std::string>()(uuid) % 100000) + "\",\"event_id\":\"" + event_id +
           "\",\"object_id\":\"0\",\"object_relation\":null,\"category\":\"Network activity\",\"type\":\"" + type +
           "\",\"to_ids\":" + (to_ids ? "true" : "false") + ",\"uuid\":\"" + uuid + "\",\"timestamp\":\"" +
           std::to_string(timestamp) + "\",\"distribution\":\"5\",\"sharing_group_id\":\"0\",\"comment\":\"\","
           "\"deleted\":" + (deleted ? "true" : "false") + ",\"disable_correlation\":false,\"first_seen\":null,"
           "\"last_seen\":null,\"value\":\"" + value + "\",\"Event\":{\"org_id\":\"1\",\"distribution\":\"1\",\"id\":\"" +
           event_id + "\",\"info\":\"" + info + "\",\"orgc_id\":\"2\",\"uuid\":\"" + event_uuid + "\"},\"Tag\":" +
           tags_json + "}";
  }
};

class FakeMisp {
 public:
  FakeMisp(HttpTestServer* server, std::string key) : server_(server), key_(std::move(key)) {
    server_->Handle("/attributes/restSearch", [this](const HttpTestRequest& r) { return RestSearch(r); });
    server_->Handle("/feed/", [this](const HttpTestRequest& r) { return Feed(r); });
  }

  void Add(FakeMispAttribute a) {
    std::lock_guard<std::mutex> lock(mu_);
    for (FakeMispAttribute& held : attributes_) {
      if (held.uuid == a.uuid) {
        held = std::move(a);
        return;
      }
    }
    attributes_.push_back(std::move(a));
  }
  void SetFeedFile(const std::string& name, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    feed_[name] = std::move(body);
  }
  void RemoveFeedFile(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    feed_.erase(name);
  }
  // What restSearch answers instead, when set.
  void OverrideSearch(std::optional<HttpTestResponse> r) {
    std::lock_guard<std::mutex> lock(mu_);
    override_ = std::move(r);
  }
  std::string url() const { return server_->base_url(); }
  std::string feed_url() const { return server_->Url("/feed/"); }

 private:
  HttpTestResponse RestSearch(const HttpTestRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string* auth = r.Header("authorization");
    if (!auth || *auth != key_) {
      return HttpTestResponse{
          .status = 403,
          .headers = {{"Content-Type", "application/json"}},
          .body = "{\"name\":\"Authentication failed. Please make sure you pass the API key of an API enabled user "
                  "along in the Authorization header.\",\"message\":\"Authentication failed.\",\"url\":"
                  "\"\\/attributes\\/restSearch\"}"};
    }
    if (override_) return *override_;
    rapidjson::Document body;
    body.Parse(r.body.c_str());
    if (body.HasParseError() || !body.IsObject()) return HttpTestResponse{.status = 400, .body = "bad body"};
    const int64_t since = body.HasMember("timestamp") && body["timestamp"].IsInt64() ? body["timestamp"].GetInt64() : 0;
    const bool only_ids = body.HasMember("to_ids") && body["to_ids"].IsBool() && body["to_ids"].GetBool();
    bool with_deleted = false;
    if (body.HasMember("deleted") && body["deleted"].IsArray()) {
      for (const auto& d : body["deleted"].GetArray()) with_deleted = with_deleted || (d.IsInt() && d.GetInt() == 1);
    }
    const int page = body.HasMember("page") && body["page"].IsInt() ? body["page"].GetInt() : 1;
    const int limit = body.HasMember("limit") && body["limit"].IsInt() ? body["limit"].GetInt() : 0;
    std::vector<const FakeMispAttribute*> match;
    for (const FakeMispAttribute& a : attributes_) {
      if (a.timestamp < since || (only_ids && !a.to_ids) || (a.deleted && !with_deleted)) continue;
      match.push_back(&a);
    }
    size_t begin = 0, end = match.size();
    if (limit > 0) {
      begin = std::min(match.size(), static_cast<size_t>(page - 1) * limit);
      end = std::min(match.size(), begin + limit);
    }
    std::string out = "{\"response\":{\"Attribute\":[";
    for (size_t i = begin; i < end; ++i) out += (i > begin ? "," : "") + match[i]->Json();
    out += "]}}";
    return HttpTestResponse{.headers = {{"Content-Type", "application/json"}}, .body = out};
  }

  HttpTestResponse Feed(const HttpTestRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = feed_.find(r.path.substr(std::string("/feed/").size()));
    if (it == feed_.end()) return HttpTestResponse{.status = 404, .body = "Not Found"};
    return HttpTestResponse{.headers = {{"Content-Type", "application/json"}}, .body = it->second};
  }

  HttpTestServer* server_;
  std::string key_;
  std::mutex mu_;
  std::vector<FakeMispAttribute> attributes_;
  std::map<std::string, std::string> feed_;
  std::optional<HttpTestResponse> override_;
};

}  // namespace kagami::testing
