#include "engine/output/sinks/kafka_transport.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "engine/output/event_types.h"

namespace kagami::output {
namespace {

// How long Connect waits for the cluster to answer a metadata request.
constexpr int kMetadataTimeoutMs = 5000;

}  // namespace

std::string CheckKafkaProperty(const std::string& name, const std::string& value) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512] = {};
  const rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err);
  rd_kafka_conf_destroy(conf);
  return r == RD_KAFKA_CONF_OK ? std::string() : std::string(err);
}

KafkaTransport::~KafkaTransport() { Destroy(); }

std::string KafkaTransport::Describe() const { return absl::StrCat("kafka ", s_.brokers, " topic ", s_.topic); }

void KafkaTransport::OnDelivery(rd_kafka_s*, const rd_kafka_message_s* message, void* opaque) {
  auto* self = static_cast<KafkaTransport*>(opaque);
  const auto index = reinterpret_cast<uintptr_t>(message->_private);
  if (index < self->report_.size() && self->report_[index] < 0) {
    self->report_[index] = static_cast<int>(message->err);
    --self->waiting_;
  }
}

absl::Status KafkaTransport::Connect() {
  if (rk_ == nullptr) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512] = {};
    for (const auto& [name, value] : s_.properties) {
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return absl::InvalidArgumentError(absl::StrCat("kafka: ", name, ": ", err));
      }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaTransport::OnDelivery);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);  // owns conf once it succeeds
    if (rk_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka: ", err));
    }
  }
  // librdkafka connects by itself; this asks the cluster to answer at all.
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(rk_, 0, nullptr, &md, kMetadataTimeoutMs);
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("cannot reach ", s_.brokers, ": ", rd_kafka_err2str(e)));
  }
  return absl::OkStatus();
}

void KafkaTransport::Destroy() {
  if (rk_ == nullptr) return;
  rd_kafka_flush(rk_, 5000);
  // Anything still queued in librdkafka now was already reported to the
  // channel as not delivered: purge it so it is not sent twice.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

void KafkaTransport::Disconnect() {
  // librdkafka keeps reconnecting to brokers on its own; the producer is
  // only made again after a fatal error (idempotence state lost).
  if (rk_ != nullptr) {
    char reason[256];
    if (rd_kafka_fatal_error(rk_, reason, sizeof reason) != RD_KAFKA_RESP_ERR_NO_ERROR) Destroy();
  }
}

DeliverResult KafkaTransport::Deliver(std::string_view records) {
  DeliverResult r;
  while (r.bytes < records.size()) {
    // Produce a chunk, then wait for every report of it.
    std::vector<size_t> ends;
    report_.clear();
    waiting_ = 0;
    size_t pos = r.bytes;
    rd_kafka_resp_err_t produce_error = RD_KAFKA_RESP_ERR_NO_ERROR;
    while (pos < records.size() && ends.size() < s_.batch) {
      const size_t end = records.find('\n', pos);
      const std::string_view record = records.substr(pos, end - pos);
      // The flow's community_id: its records stay in one partition.
      const std::string_view key = output::RecordStringField(record, "community_id");
      report_.push_back(-1);
      const uintptr_t index = report_.size() - 1;
      rd_kafka_resp_err_t e;
      for (;;) {
        e = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(s_.topic.c_str()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(record.data()), record.size()),
                              RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(index)), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(rk_, 100);  // librdkafka's own queue is full: let it drain
      }
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        report_.pop_back();
        produce_error = e;
        break;
      }
      ++waiting_;
      pos = end + 1;
      ends.push_back(pos);
    }
    // Every produced message gets a report: delivered, or failed once
    // message.timeout.ms has passed.
    while (waiting_ > 0) rd_kafka_poll(rk_, 100);
    size_t ok = 0;
    while (ok < report_.size() && report_[ok] == RD_KAFKA_RESP_ERR_NO_ERROR) ++ok;
    if (ok > 0) r.bytes = ends[ok - 1];
    if (ok < report_.size()) {
      r.status = absl::UnavailableError(
          absl::StrCat("kafka ", s_.topic, ": ", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(report_[ok]))));
      return r;
    }
    if (produce_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      r.status = absl::UnavailableError(absl::StrCat("kafka ", s_.topic, ": ", rd_kafka_err2str(produce_error)));
      return r;
    }
  }
  return r;
}

absl::StatusOr<std::unique_ptr<Transport>> MakeKafkaTransport(OutputSpec& spec) {
  KafkaTransport::Settings s;
  s.brokers = spec.authority;
  s.topic = spec.url_path.empty() ? "" : spec.url_path.substr(1);
  if (s.brokers.empty() || s.topic.empty() || s.topic.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("output '", spec.url, "': expected kafka://BROKER[:PORT][,BROKER...]/TOPIC"));
  }
  s.properties = {
      {"bootstrap.servers", s.brokers},
      {"enable.idempotence", "true"},
      {"compression.codec", "lz4"},
      {"linger.ms", "5"},
      {"message.timeout.ms", "30000"},
  };
  for (OutputParam& p : spec.params) {
    if (p.used || !absl::StartsWith(p.key, "prop.")) continue;
    p.used = true;
    const std::string name = p.key.substr(5);
    if (name == "bootstrap.servers") return ParamError(spec, p, "prop.bootstrap.servers: the brokers are in the URL");
    if (std::string why = CheckKafkaProperty(name, p.value); !why.empty()) {
      return ParamError(spec, p, absl::StrCat(p.key, ": ", why));
    }
    s.properties.emplace_back(name, p.value);
  }
  if (const OutputParam* p = TakeParam(spec, "batch")) {
    if (!absl::SimpleAtoi(p->value, &s.batch) || s.batch == 0 || s.batch > 1000000) {
      return ParamError(spec, *p, "batch: expected 1 to 1000000 records");
    }
  }
  if (absl::Status st = CheckAllParamsUsed(spec, "prop.NAME, batch"); !st.ok()) return st;
  return std::unique_ptr<Transport>(new KafkaTransport(std::move(s)));
}

}  // namespace kagami::output
