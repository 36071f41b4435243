#pragma once
// Application protocols Kagami parses, as a flow's detected protocol.

#include <cstdint>
#include <string_view>

namespace kagami::app {

enum class AppProto : uint8_t {
  kUnknown = 0,  // not decided yet (no data, or too little to tell)
  kHttp,
  kDns,
  kTls,
  kFailed,       // data seen and no parser recognised it
};

// The names Suricata uses in rules and in EVE's app_proto.
inline std::string_view AppProtoName(AppProto p) {
  switch (p) {
    case AppProto::kHttp: return "http";
    case AppProto::kDns: return "dns";
    case AppProto::kTls: return "tls";
    case AppProto::kFailed: return "failed";
    case AppProto::kUnknown: break;
  }
  return "unknown";
}

// "http", "http1", "dns", "tls"/"ssl" -> the protocol; false otherwise.
inline bool AppProtoByName(std::string_view name, AppProto* out) {
  if (name == "http" || name == "http1") *out = AppProto::kHttp;
  else if (name == "dns") *out = AppProto::kDns;
  else if (name == "tls" || name == "ssl") *out = AppProto::kTls;
  else if (name == "failed") *out = AppProto::kFailed;
  else return false;
  return true;
}

}  // namespace kagami::app
