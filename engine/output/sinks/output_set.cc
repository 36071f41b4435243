#include "engine/output/sinks/output_set.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/output/sinks/transport_registry.h"

namespace kagami::output {

OutputSet::~OutputSet() { Stop(std::chrono::milliseconds(0)); }

absl::Status OutputSet::Add(std::string_view url, EventTypes default_types) {
  absl::StatusOr<OutputSpec> spec = ParseOutputUrl(url);
  if (!spec.ok()) return spec.status();
  if (!spec->types_given) spec->types = default_types;
  auto taken = [this](const std::string& name) {
    for (const Entry& e : channels_) {
      if (e.channel->spec().name == name) return true;
    }
    return false;
  };
  if (taken(spec->name)) {
    if (spec->name_given) {
      return absl::InvalidArgumentError(absl::StrCat("output '", spec->url, "': the name '", spec->name,
                                                     "' is taken by another output"));
    }
    const std::string base = spec->name;
    for (int n = 2; taken(spec->name); ++n) spec->name = absl::StrCat(base, "-", n);
  }
  absl::StatusOr<std::unique_ptr<Transport>> transport = MakeTransport(*spec);
  if (!transport.ok()) return transport.status();
  const bool must_connect = MustConnectAtStart(*spec);
  const EventTypes types = spec->types;
  auto channel = std::make_unique<OutputChannel>(std::move(*spec), std::move(*transport));
  channel->set_event_handler(on_event_);
  absl::Status first_connect;
  if (absl::Status s = channel->Start(&first_connect); !s.ok()) return s;
  if (!first_connect.ok() && must_connect && !absl::IsUnavailable(first_connect)) {
    channel->Stop(std::chrono::milliseconds(0));
    return first_connect;
  }
  if (!first_connect.ok() && on_event_) {
    on_event_(absl::StrCat("output ", channel->spec().name, " (", channel->description(), "): ",
                           first_connect.message(), "; retrying in the background"));
  }
  // Alerts and stats records are written whatever the scanner was told, so
  // only outputs that take every type may skip looking at the record.
  if (types != kAllEventTypes) all_types_ = false;
  channels_.push_back(Entry{types, std::move(channel)});
  return absl::OkStatus();
}

void OutputSet::Write(std::string_view record) {
  if (all_types_) {
    for (Entry& e : channels_) e.channel->Write(record);
    return;
  }
  const EventTypes type = EventTypeOfRecord(record);
  for (Entry& e : channels_) {
    if ((e.types & type) != 0) e.channel->Write(record);
  }
}

absl::Status OutputSet::Reopen() {
  for (Entry& e : channels_) e.channel->RequestReopen();
  return absl::OkStatus();
}

bool OutputSet::WaitDelivered(std::chrono::milliseconds limit) const {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool done = true;
    for (const Entry& e : channels_) done = done && e.channel->counters().queued == 0;
    if (done) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void OutputSet::Stop(std::chrono::milliseconds grace) {
  for (Entry& e : channels_) e.channel->Stop(grace);
}

EventTypes OutputSet::types() const {
  EventTypes all = 0;
  for (const Entry& e : channels_) all |= e.types;
  return all;
}

std::vector<OutputSet::Status> OutputSet::Snapshot() const {
  std::vector<Status> out;
  for (const Entry& e : channels_) {
    out.push_back(Status{e.channel->spec().name, e.channel->description(), e.types, e.channel->counters()});
  }
  return out;
}

uint64_t OutputSet::dropped() const {
  uint64_t n = 0;
  for (const Entry& e : channels_) n += e.channel->counters().dropped;
  return n;
}

std::string OutputSet::CountersJson() const {
  std::string out = "{";
  for (const Status& s : Snapshot()) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(out, s.name);
    absl::StrAppend(&out, ":{\"sent\":", s.counters.sent, ",\"queued\":", s.counters.queued,
                    ",\"spooled\":", s.counters.spooled, ",\"dropped\":", s.counters.dropped,
                    ",\"reconnects\":", s.counters.reconnects,
                    ",\"connected\":", s.counters.connected ? "true" : "false", ",\"last_error\":");
    AppendJsonString(out, s.counters.last_error);
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

}  // namespace kagami::output
