#include "jobs/kafka_job_queue.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/output/eve_writer.h"
#include "engine/output/event_types.h"
#include "engine/output/sinks/kafka_transport.h"
#include "engine/output/sinks/output_spec.h"

namespace kagami::jobs {
namespace {

constexpr int kMetadataTimeoutMs = 10000;
// How long a transactional call (init, begin, offsets, commit, abort) may
// take before it counts as failed.
constexpr int kTxnTimeoutMs = 30000;
// A scan may take long: the consumer must not leave the group for not
// polling meanwhile (librdkafka's ceiling).
constexpr char kMaxPollIntervalMs[] = "86400000";
// The commit step produces every record of a job; it gets at least this
// long before the broker aborts a transaction left open.
constexpr std::chrono::milliseconds kMinTransactionTimeout{10000};

// Properties the job queue sets itself: changing them would break the
// exactly-once commit.
constexpr std::string_view kReserved[] = {"bootstrap.servers", "group.id",        "transactional.id",
                                          "enable.auto.commit", "isolation.level", "enable.idempotence",
                                          "enable.auto.offset.store"};

using Message = std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>;
using Error = std::unique_ptr<rd_kafka_error_t, void (*)(rd_kafka_error_t*)>;

PartitionList NewList(int size) {
  return PartitionList(rd_kafka_topic_partition_list_new(size), rd_kafka_topic_partition_list_destroy);
}

std::string ErrorText(const Error& e) { return rd_kafka_error_string(e.get()); }

// For calls whose error changes nothing (it shows at the commit).
void Ignore(rd_kafka_error_t* e) {
  if (e != nullptr) rd_kafka_error_destroy(e);
}

// Partitions change hands only here, inside a poll of Next, so never
// while a job taken before is being scanned.
void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void*) {
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) Ignore(rd_kafka_incremental_assign(rk, partitions));
    else rd_kafka_assign(rk, partitions);
  } else {
    if (cooperative) Ignore(rd_kafka_incremental_unassign(rk, partitions));
    else rd_kafka_assign(rk, nullptr);
  }
}

// "b1:9092" for "b1"; brokers written without a port use Kafka's.
std::set<std::string> Brokers(std::string_view list) {
  std::set<std::string> out;
  for (absl::string_view b : absl::StrSplit(std::string(list), ',', absl::SkipWhitespace())) {
    std::string broker = absl::AsciiStrToLower(absl::StripAsciiWhitespace(b));
    const size_t bracket = broker.rfind(']');
    const size_t colon = broker.rfind(':');
    if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) broker += ":9092";
    out.insert(std::move(broker));
  }
  return out;
}

// The refusals of a group coordinator to a member that no longer owns
// what it commits (KIP-447): its generation or membership is gone.
bool TakenOver(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
         code == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

std::string Header(rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || value == nullptr) {
    return "";
  }
  return std::string(static_cast<const char*>(value), size);
}

}  // namespace

absl::StatusOr<KafkaJobQueue::Settings> KafkaJobQueue::ParseUrl(std::string_view url_text) {
  const std::string url(url_text);
  absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
  if (!spec.ok()) return absl::InvalidArgumentError(absl::StrCat("--jobs: ", spec.status().message()));
  Settings s;
  s.brokers = spec->authority;
  s.topic = spec->url_path.empty() ? "" : spec->url_path.substr(1);
  if (spec->scheme != "kafka" || s.brokers.empty() || s.topic.empty() || s.topic.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs '", url, "': expected kafka://BROKER[:PORT][,BROKER...]/TOPIC"));
  }
  auto error = [&](const output::OutputParam& p, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("--jobs: ", output::ParamError(*spec, p, what).message()));
  };
  for (const output::OutputParam& p : spec->params) {
    if (p.key == "group") {
      if (p.value.empty()) return error(p, "group: must not be empty");
      s.group = p.value;
    } else if (absl::StartsWith(p.key, "prop.")) {
      const std::string name = p.key.substr(5);
      if (std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved)) {
        return error(p, absl::StrCat(p.key, ": set by the job queue itself"));
      }
      if (std::string why = output::CheckKafkaProperty(name, p.value); !why.empty()) {
        return error(p, absl::StrCat(p.key, ": ", why));
      }
      s.properties.emplace_back(name, p.value);
    } else {
      return error(p,
                   absl::StrCat("unknown parameter '", p.key, "' for a kafka job queue (it takes group, prop.NAME)"));
    }
  }
  return s;
}

absl::StatusOr<rd_kafka_t*> KafkaJobQueue::NewHandle(bool producer,
                                                     const std::vector<std::pair<std::string, std::string>>& ours,
                                                     const std::function<void(rd_kafka_conf_t*)>& setup) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512] = {};
  auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK) return true;
    return false;
  };
  if (!set("bootstrap.servers", s_.brokers)) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka: ", err));
  }
  for (const auto& list : {ours, s_.properties}) {
    for (const auto& [name, value] : list) {
      if (!set(name, value)) {
        rd_kafka_conf_destroy(conf);
        return absl::InvalidArgumentError(absl::StrCat("kafka: ", name, ": ", err));
      }
    }
  }
  if (setup) setup(conf);
  rd_kafka_t* rk = rd_kafka_new(producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new owns it only once it succeeds
    return absl::InvalidArgumentError(absl::StrCat("kafka: ", err));
  }
  return rk;
}

absl::StatusOr<std::unique_ptr<KafkaJobQueue>> KafkaJobQueue::Open(std::string_view url, std::string consumer) {
  absl::StatusOr<Settings> s = ParseUrl(url);
  if (!s.ok()) return s.status();
  std::unique_ptr<KafkaJobQueue> q(new KafkaJobQueue(std::move(*s), std::move(consumer)));
  // Never subscribes: it reads offsets of the group and the status topic
  // without joining the group.
  auto meta = q->NewHandle(false, {{"group.id", q->s_.group},
                                   {"enable.auto.commit", "false"},
                                   {"isolation.level", "read_committed"},
                                   {"enable.partition.eof", "true"}});
  if (!meta.ok()) return meta.status();
  q->meta_ = *meta;
  rd_kafka_poll_set_consumer(q->meta_);
  absl::StatusOr<int> partitions = q->PartitionCount(q->s_.topic);
  if (!partitions.ok()) return partitions.status();
  q->partitions_ = *partitions;
  if (absl::StatusOr<int> status = q->PartitionCount(q->status_topic()); !status.ok()) return status.status();
  return q;
}

KafkaJobQueue::~KafkaJobQueue() {
  if (taken_ && taken_->group != nullptr) rd_kafka_consumer_group_metadata_destroy(taken_->group);
  if (member_ != nullptr) {
    rd_kafka_consumer_close(member_);  // leaves the group now, not after the session timeout
    rd_kafka_destroy(member_);
  }
  DropProducer();
  if (submit_ != nullptr) rd_kafka_destroy(submit_);
  if (meta_ != nullptr) rd_kafka_destroy(meta_);
}

void KafkaJobQueue::DropProducer() {
  if (txn_ == nullptr) return;
  rd_kafka_destroy(txn_);
  txn_ = nullptr;
}

std::string KafkaJobQueue::Describe() const {
  return absl::StrCat("job queue kafka ", s_.brokers, " topic ", s_.topic, " (", partitions_, " partitions) group ",
                      s_.group);
}

absl::StatusOr<int> KafkaJobQueue::PartitionCount(const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(meta_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(meta_, 0, rkt, &md, kMetadataTimeoutMs);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("cannot reach ", s_.brokers, ": ", rd_kafka_err2str(e)));
  }
  int count = 0;
  rd_kafka_resp_err_t topic_error = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (md->topic_cnt == 1) {
    count = md->topics[0].partition_cnt;
    topic_error = md->topics[0].err;
  }
  rd_kafka_metadata_destroy(md);
  if (topic_error != RD_KAFKA_RESP_ERR_NO_ERROR || count == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "kafka ", s_.brokers, ": topic ", topic, ": ", rd_kafka_err2str(topic_error), " (create ", s_.topic,
        " with at least as many partitions as workers, and ", status_topic(), ")"));
  }
  return count;
}

void KafkaJobQueue::OnSubmitted(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<KafkaJobQueue*>(opaque);
  const auto index = reinterpret_cast<uintptr_t>(message->_private);
  if (index < self->reports_.size()) {
    self->reports_[index] = {static_cast<int>(message->err), message->partition, message->offset};
  }
}

absl::Status KafkaJobQueue::Submit(const std::vector<std::string>& paths, std::vector<std::string>* ids) {
  if (submit_ == nullptr) {
    auto p = NewHandle(true, {{"enable.idempotence", "true"}, {"linger.ms", "5"}}, [this](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_dr_msg_cb(conf, &KafkaJobQueue::OnSubmitted);
      rd_kafka_conf_set_opaque(conf, this);
    });
    if (!p.ok()) return p.status();
    submit_ = *p;
  }
  reports_.assign(paths.size(), Report{});
  for (size_t i = 0; i < paths.size(); ++i) {
    rd_kafka_resp_err_t e;
    // No key: librdkafka spreads the jobs over the partitions.
    while ((e = rd_kafka_producev(submit_, RD_KAFKA_V_TOPIC(s_.topic.c_str()),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(paths[i].data()), paths[i].size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(i))),
                                  RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(submit_, 100);
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) reports_[i].err = e;
  }
  // Every message gets its report: delivered, or failed after
  // message.timeout.ms.
  auto waiting = [&] {
    return std::any_of(reports_.begin(), reports_.end(), [](const Report& r) { return r.err < 0; });
  };
  while (waiting()) rd_kafka_poll(submit_, 100);
  for (const Report& r : reports_) {
    if (r.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat(Describe(), ": ", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(r.err))));
    }
    ids->push_back(absl::StrCat(s_.topic, "/", r.partition, "/", r.offset));
  }
  return absl::OkStatus();
}

absl::Status KafkaJobQueue::StartWorker(std::chrono::milliseconds timeout) {
  session_ = timeout;
  if (txn_ == nullptr) {
    const auto txn_timeout = std::max(timeout, kMinTransactionTimeout);
    auto p = NewHandle(true, {{"transactional.id", s_.group + ":" + consumer_},
                              {"transaction.timeout.ms", absl::StrCat(txn_timeout.count())},
                              {"message.timeout.ms", absl::StrCat(txn_timeout.count())},
                              {"linger.ms", "5"}});
    if (!p.ok()) return p.status();
    txn_ = *p;
    // Fences an earlier producer with the same id and aborts what it left open.
    if (Error e(rd_kafka_init_transactions(txn_, kTxnTimeoutMs), rd_kafka_error_destroy); e) {
      DropProducer();
      return absl::UnavailableError(absl::StrCat(Describe(), ": init_transactions: ", ErrorText(e)));
    }
  }
  if (member_ == nullptr) {
    const int64_t session = timeout.count();
    auto c = NewHandle(false,
                       {{"group.id", s_.group},
                        {"enable.auto.commit", "false"},
                        {"enable.auto.offset.store", "false"},
                        {"auto.offset.reset", "earliest"},
                        {"isolation.level", "read_committed"},
                        {"session.timeout.ms", absl::StrCat(session)},
                        {"heartbeat.interval.ms", absl::StrCat(std::max<int64_t>(100, session / 3))},
                        {"max.poll.interval.ms", kMaxPollIntervalMs}},
                       [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_rebalance_cb(conf, &OnRebalance); });
    if (!c.ok()) return c.status();
    member_ = *c;
    rd_kafka_poll_set_consumer(member_);
    PartitionList topics = NewList(1);
    rd_kafka_topic_partition_list_add(topics.get(), s_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t e = rd_kafka_subscribe(member_, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": subscribe: ", rd_kafka_err2str(e)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Job>> KafkaJobQueue::Next(std::chrono::milliseconds timeout,
                                                       std::chrono::milliseconds block) {
  if (absl::Status s = StartWorker(timeout); !s.ok()) return s;
  Message m(rd_kafka_consumer_poll(member_, static_cast<int>(block.count())), rd_kafka_message_destroy);
  if (m == nullptr) return std::optional<Job>();
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    char reason[512];
    if (rd_kafka_fatal_error(member_, reason, sizeof reason) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": ", reason));
    }
    // Brokers down, a rebalance, ...: librdkafka recovers on its own.
    return std::optional<Job>();
  }
  Job job{absl::StrCat(s_.topic, "/", m->partition, "/", m->offset),
          std::string(static_cast<const char*>(m->payload), m->len)};
  if (taken_ && taken_->group != nullptr) rd_kafka_consumer_group_metadata_destroy(taken_->group);
  taken_ = Taken{job.id, m->partition, m->offset, rd_kafka_consumer_group_metadata(member_)};
  // Only the status shows it: a failure here does not stop the job.
  (void)Announce(job);
  return std::optional<Job>(std::move(job));
}

absl::Status KafkaJobQueue::Produce(const std::string& topic, std::string_view value, std::string_view key) {
  rd_kafka_resp_err_t e;
  while ((e = rd_kafka_producev(txn_, RD_KAFKA_V_TOPIC(topic.c_str()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
         RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    rd_kafka_poll(txn_, 100);  // librdkafka's own queue is full: let it drain
  }
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka ", topic, ": ", rd_kafka_err2str(e)));
  }
  return absl::OkStatus();
}

absl::Status KafkaJobQueue::ProduceStatus(const std::string& id, std::string_view state, const std::string& path,
                                          const std::string& error) {
  // The value is for people and other tools; Status reads the headers.
  std::string value = "{\"job\":";
  output::AppendJsonString(value, id);
  value += ",\"state\":";
  output::AppendJsonString(value, state);
  value += ",\"worker\":";
  output::AppendJsonString(value, consumer_);
  value += ",\"path\":";
  output::AppendJsonString(value, path);
  if (!error.empty()) {
    value += ",\"error\":";
    output::AppendJsonString(value, error);
  }
  value += "}";
  const std::string topic = status_topic();
  rd_kafka_resp_err_t e;
  while ((e = rd_kafka_producev(
              txn_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_VALUE(value.data(), value.size()),
              RD_KAFKA_V_KEY(id.data(), id.size()), RD_KAFKA_V_HEADER("state", state.data(), state.size()),
              RD_KAFKA_V_HEADER("worker", consumer_.data(), consumer_.size()),
              RD_KAFKA_V_HEADER("path", path.data(), path.size()),
              RD_KAFKA_V_HEADER("error", error.data(), error.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
              RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    rd_kafka_poll(txn_, 100);
  }
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka ", topic, ": ", rd_kafka_err2str(e)));
  }
  return absl::OkStatus();
}

absl::Status KafkaJobQueue::Announce(const Job& job) {
  if (Error e(rd_kafka_begin_transaction(txn_), rd_kafka_error_destroy); e) {
    return absl::UnavailableError(ErrorText(e));
  }
  absl::Status s = ProduceStatus(job.id, "started", job.path, "");
  if (s.ok()) {
    if (Error e(rd_kafka_commit_transaction(txn_, kTxnTimeoutMs), rd_kafka_error_destroy); e) {
      s = absl::UnavailableError(ErrorText(e));
    }
  }
  if (!s.ok()) {
    Ignore(rd_kafka_abort_transaction(txn_, kTxnTimeoutMs));
    char reason[512];
    if (rd_kafka_fatal_error(txn_, reason, sizeof reason) != RD_KAFKA_RESP_ERR_NO_ERROR) DropProducer();
  }
  return s;
}

void KafkaJobQueue::Rewind(const Taken& t) {
  PartitionList at = NewList(1);
  rd_kafka_topic_partition_list_add(at.get(), s_.topic.c_str(), t.partition)->offset = t.offset;
  // Fails harmlessly when the partition is no longer assigned here.
  Ignore(rd_kafka_seek_partitions(member_, at.get(), 5000));
}

absl::StatusOr<bool> KafkaJobQueue::Complete(const Job& job, std::string_view records,
                                             const std::vector<JobOutput>& outputs, const std::string& error) {
  if (!taken_ || taken_->id != job.id) {
    return absl::FailedPreconditionError(absl::StrCat(Describe(), ": job ", job.id, " was not taken here"));
  }
  const Taken t = *taken_;
  taken_.reset();
  std::unique_ptr<rd_kafka_consumer_group_metadata_t, void (*)(rd_kafka_consumer_group_metadata_t*)> group(
      t.group, rd_kafka_consumer_group_metadata_destroy);
  if (txn_ == nullptr) {
    // The producer hit a fatal error since: make it again (fencing itself).
    if (absl::Status s = StartWorker(session_); !s.ok()) {
      Rewind(t);
      return s;
    }
  }
  // The background thread already knows the group moved on without us.
  if (rd_kafka_assignment_lost(member_)) {
    Rewind(t);
    return false;
  }
  // Ends the transaction: false (taken over), or the error, rewinding.
  auto fail = [&](const Error& e, const char* step) -> absl::StatusOr<bool> {
    const rd_kafka_resp_err_t code = rd_kafka_error_code(e.get());
    const std::string text = ErrorText(e);
    if (rd_kafka_error_is_fatal(e.get())) {
      DropProducer();
    } else {
      Ignore(rd_kafka_abort_transaction(txn_, kTxnTimeoutMs));
    }
    Rewind(t);
    if (TakenOver(code)) return false;
    return absl::UnavailableError(absl::StrCat(Describe(), ": ", step, ": ", text));
  };
  if (Error e(rd_kafka_begin_transaction(txn_), rd_kafka_error_destroy); e) return fail(e, "begin_transaction");
  // The offsets first: the group coordinator checks here that the
  // generation the job was taken in is still the group's, so a worker
  // that lost the job sends none of its records.
  PartitionList offsets = NewList(1);
  rd_kafka_topic_partition_list_add(offsets.get(), s_.topic.c_str(), t.partition)->offset = t.offset + 1;
  if (Error e(rd_kafka_send_offsets_to_transaction(txn_, offsets.get(), group.get(), kTxnTimeoutMs),
              rd_kafka_error_destroy);
      e) {
    return fail(e, "send_offsets_to_transaction");
  }
  absl::Status produced;
  for (const JobOutput& o : outputs) {
    for (size_t pos = 0; produced.ok() && pos < records.size();) {
      size_t end = records.find('\n', pos);
      if (end == std::string_view::npos) end = records.size();
      const std::string_view record = records.substr(pos, end - pos);
      pos = end + 1;
      if ((output::EventTypeOfRecord(record) & o.types) == 0) continue;
      // Keyed as the Kafka output keys: a flow's records in one partition.
      produced = Produce(o.topic, record, output::RecordStringField(record, "community_id"));
    }
  }
  if (produced.ok()) produced = ProduceStatus(job.id, error.empty() ? "done" : "failed", job.path, error);
  if (!produced.ok()) {
    Ignore(rd_kafka_abort_transaction(txn_, kTxnTimeoutMs));
    Rewind(t);
    return absl::UnavailableError(absl::StrCat(Describe(), ": ", produced.message()));
  }
  for (int attempt = 0;; ++attempt) {
    Error e(rd_kafka_commit_transaction(txn_, kTxnTimeoutMs), rd_kafka_error_destroy);
    if (!e) return true;
    // A timeout may be retried: the commit resumes where it was.
    if (attempt < 2 && rd_kafka_error_is_retriable(e.get()) && !rd_kafka_error_txn_requires_abort(e.get())) continue;
    return fail(e, "commit_transaction");
  }
}

absl::StatusOr<KafkaJobQueue::Offsets> KafkaJobQueue::JobOffsets() {
  absl::StatusOr<int> partitions = PartitionCount(s_.topic);
  if (!partitions.ok()) return partitions.status();
  partitions_ = *partitions;
  PartitionList committed = NewList(partitions_);
  for (int p = 0; p < partitions_; ++p) rd_kafka_topic_partition_list_add(committed.get(), s_.topic.c_str(), p);
  if (rd_kafka_resp_err_t e = rd_kafka_committed(meta_, committed.get(), kMetadataTimeoutMs);
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat(Describe(), ": committed offsets: ", rd_kafka_err2str(e)));
  }
  Offsets out;
  for (int p = 0; p < partitions_; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(meta_, s_.topic.c_str(), p, &low, &high, kMetadataTimeoutMs);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": watermarks: ", rd_kafka_err2str(e)));
    }
    // No commit yet (a negative offset): the group starts at the earliest.
    const int64_t done_up_to = std::max(committed->elems[p].offset, low);
    out.submitted += high;
    out.pending += std::max<int64_t>(0, high - done_up_to);
  }
  return out;
}

absl::StatusOr<JobsStatus> KafkaJobQueue::Status() {
  absl::StatusOr<Offsets> offsets = JobOffsets();
  if (!offsets.ok()) return offsets.status();
  JobsStatus st;
  st.submitted = static_cast<uint64_t>(offsets->submitted);
  // The status topic from its start to its end (for read_committed: up to
  // the first transaction still open).
  const std::string topic = status_topic();
  absl::StatusOr<int> partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  PartitionList from = NewList(*partitions);
  for (int p = 0; p < *partitions; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(meta_, topic.c_str(), p, &low, &high,
                                                                 kMetadataTimeoutMs);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": ", topic, " watermarks: ", rd_kafka_err2str(e)));
    }
    if (high > low) rd_kafka_topic_partition_list_add(from.get(), topic.c_str(), p)->offset = low;
  }
  std::map<std::string, JobsStatus::Worker> workers;
  std::map<std::string, std::string> started;  // job -> the worker that took it last
  std::set<std::string> finished;
  if (from->cnt > 0) {
    if (rd_kafka_resp_err_t e = rd_kafka_assign(meta_, from.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": ", topic, ": ", rd_kafka_err2str(e)));
    }
    int at_end = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kMetadataTimeoutMs);
    while (at_end < from->cnt && std::chrono::steady_clock::now() < give_up) {
      Message m(rd_kafka_consumer_poll(meta_, 100), rd_kafka_message_destroy);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        ++at_end;
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      const std::string id(static_cast<const char*>(m->key), m->key_len);
      const std::string state = Header(m.get(), "state"), worker = Header(m.get(), "worker");
      if (state == "started") {
        started[id] = worker;
        continue;
      }
      finished.insert(id);
      workers[worker].name = worker;
      if (state == "done") {
        ++st.done;
        ++workers[worker].done;
      } else {
        ++st.failed;
        ++workers[worker].failed;
        st.failures.push_back(absl::StrCat(id, " ", Header(m.get(), "path"), ": ", Header(m.get(), "error")));
      }
    }
    rd_kafka_assign(meta_, nullptr);
    if (at_end < from->cnt) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": ", topic, ": not read to its end in time"));
    }
  }
  for (const auto& [id, worker] : started) {
    if (finished.count(id) != 0) continue;
    ++st.running;
    workers[worker].name = worker;
    ++workers[worker].running;
  }
  // A job announced by a worker whose transaction was then lost is not
  // running for long; never show more running than not committed.
  st.running = std::min<uint64_t>(st.running, static_cast<uint64_t>(offsets->pending));
  st.waiting = static_cast<uint64_t>(offsets->pending) - st.running;
  for (auto& [name, w] : workers) st.workers.push_back(w);
  return st;
}

absl::StatusOr<bool> KafkaJobQueue::Idle() {
  absl::StatusOr<Offsets> offsets = JobOffsets();
  if (!offsets.ok()) return offsets.status();
  return offsets->pending == 0;
}

absl::StatusOr<std::optional<JobOutput>> KafkaJobQueue::CommittedOutput(const std::string& url,
                                                                        output::EventTypes default_types) const {
  absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
  if (!spec.ok() || spec->scheme != "kafka") return std::nullopt;
  if (output::TakeParam(*spec, "spool") || output::TakeParam(*spec, "queue")) {
    // A queue or spool of its own would break the job's all-or-nothing
    // write; such an output is delivered like any other.
    return std::nullopt;
  }
  // Its own checks (brokers, topic, prop.*, batch): errors with columns.
  output::OutputSpec check = *spec;
  if (auto t = output::MakeKafkaTransport(check); !t.ok()) return t.status();
  const std::set<std::string> mine = Brokers(s_.brokers), theirs = Brokers(spec->authority);
  // A broker belongs to one cluster: one in common is enough.
  const bool same_cluster =
      std::any_of(theirs.begin(), theirs.end(), [&](const std::string& b) { return mine.count(b) != 0; });
  if (!same_cluster) return std::nullopt;
  JobOutput o;
  o.url = url;
  o.topic = spec->url_path.substr(1);
  o.types = spec->types_given ? spec->types : default_types;
  return std::optional<JobOutput>(std::move(o));
}

}  // namespace kagami::jobs
