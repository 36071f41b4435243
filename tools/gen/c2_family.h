#pragma once
// C2 sessions of known malware families, for injection among benign traffic.
// Each family builds the session(s) one check-in or exchange puts on the
// wire, from the published descriptions its pack cites; the randomness
// (tokens, bodies, timings) comes from the generator's seeded Rng so a
// capture is the same for the same seed.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/gen/rng.h"
#include "tools/gen/session.h"

namespace kagami::gen {

struct C2Family {
  std::string name;         // "datper", "daserf-delphi", ... (the --inject name)
  std::string description;  // one line for `kagami-gen --list-families`
  // Builds the sessions of one C2 exchange between `client` (inside) and
  // `server` (outside).
  std::function<std::vector<Session>(Rng&, const Endpoint& client, const Endpoint& server)> make;
};

// Every family the generator knows, in a fixed order.
const std::vector<C2Family>& C2Families();
// nullptr when unknown.
const C2Family* FindC2Family(std::string_view name);

}  // namespace kagami::gen
