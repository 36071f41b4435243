#include "engine/pipeline/parallel_scan.h"

#include <pthread.h>

#include <algorithm>
#include <compare>
#include <cstring>
#include <limits>
#include <span>

#include "engine/pipeline/dispatch.h"

namespace kagami::pipeline {
namespace {

constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();

// Where a record belongs in the single order every N produces: the packet
// (run-wide number) whose work wrote it; the unit of that packet's work (0:
// the clock tick before it, 1: the packet, 2: the datagram it completed);
// for flows ending on a tick, the flow's id (ticks end flows in id order
// whatever worker holds them); then the worker's own sequence.
struct RecordKey {
  uint64_t index = 0;
  uint32_t unit = 0;
  uint64_t flow_id = 0;
  uint64_t seq = 0;
  auto operator<=>(const RecordKey&) const = default;
};

struct Rec {
  RecordKey key;
  uint32_t offset = 0, len = 0;  // in OutBatch::bytes; len 0: a pass rule's marker or a snapshot
  int32_t cond = -1;             // index into OutBatch::conds, or -1
  int32_t snapshot = -1;         // index into OutBatch::snapshots, or -1
};

// An alert the writer decides (RecordTagger::Conditional): what the rate
// limits read of its packet.
struct Cond {
  // The rule, and the engine that holds it: a reload may replace the
  // worker's engine before the writer gets to this record.
  const rules::Rule* rule = nullptr;
  std::shared_ptr<const detect::DetectEngine> engine;
  detect::Alert::Deferred deferred = detect::Alert::Deferred::kNo;
  bool pass = false;
  uint64_t group = 0;
  // The packet fields a rate limit tracks by (addresses, ports, protocol,
  // VLANs), kept from the worker's packet and given back to the writer's
  // tracker as a packet of its own.
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ip_proto = 0, vlan_count = 0;
  std::array<uint16_t, 2> vlan_id{};
  int64_t ts_ns = 0;
  // An indicator alert (RecordTagger::ConditionalIntel) instead of a rule's:
  // its store (kept alive for the summary's signature), sid and threshold.
  std::shared_ptr<const intel::IntelStore> intel;
  uint32_t indicator = 0, intel_sid = 0;
  rules::ThresholdOption intel_threshold;

  void KeepHeader(const decode::Packet& p) {
    src = p.src;
    dst = p.dst;
    src_port = p.src_port;
    dst_port = p.dst_port;
    ip_proto = p.ip_proto;
    vlan_count = p.vlan_count;
    vlan_id = p.vlan_id;
    ts_ns = p.view ? p.view->ts_ns : 0;
  }
  decode::Packet HeaderPacket() const {
    decode::Packet p;
    p.ip_version = src.is_v4() ? 4 : 6;
    p.src = src;
    p.dst = dst;
    p.src_port = src_port;
    p.dst_port = dst_port;
    p.ip_proto = ip_proto;
    p.vlan_count = vlan_count;
    p.vlan_id = vlan_id;
    return p;
  }
};

}  // namespace

struct ParallelScan::Item {
  enum class Kind : uint8_t { kPacket, kDatagram, kTick, kStats };
  Kind kind = Kind::kPacket;
  bool verify = false;     // the checksum policy's verdict for this packet
  bool frame_in_arena = false;  // the source reuses its buffers: the frame was copied
  uint8_t unit = 1;
  uint8_t vlan_count = 0;  // kDatagram: the fragment's VLAN tags
  std::array<uint16_t, 2> vlan_id{};
  uint64_t index = 0;
  capture::PacketView view;
  uint32_t frame_offset = 0;  // in Batch::arena, when frame_in_arena
  uint32_t datagram_offset = 0, datagram_len = 0;
  const std::string* name = nullptr;
};

struct ParallelScan::Batch {
  std::vector<Item> items;
  std::vector<uint8_t> arena;  // copied frames and reassembled datagrams
  uint64_t through = 0;        // the reader had read this many packets when it sent the batch
  bool finish = false;
};

struct ParallelScan::OutBatch {
  std::string bytes;
  std::vector<Rec> recs;  // in key order
  std::vector<Cond> conds;
  std::vector<ScanCounters> snapshots;  // periodic stats
  uint64_t through = 0;  // later records have keys >= (through, 0, 0, 0)
  bool last = false;     // the worker is done
  size_t cursor = 0;     // the writer's place in recs
  void Clear() {
    bytes.clear();
    recs.clear();
    conds.clear();
    snapshots.clear();
    through = 0;
    last = false;
    cursor = 0;
  }
};

class ParallelScan::Worker final : public output::EveRecordSink, public RecordTagger {
 public:
  Worker(ParallelScan* owner, std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options)
      : owner_(owner),
        in_(owner->parallel_.batches_in_flight),
        free_(owner->parallel_.batches_in_flight),
        out_(64),
        out_free_(1024),
        eve_(owner->eve_->options()),
        scanner_(std::move(engine), options, &eve_, &summary_) {
    eve_.set_sink(this);
    scanner_.SetWorkerMode(this);
    out_batch_ = NewOutBatch();
  }

  void Write(std::string_view record) override {
    Rec r;
    r.key = NextKey();
    r.offset = static_cast<uint32_t>(out_batch_->bytes.size());
    r.len = static_cast<uint32_t>(record.size());
    r.cond = pending_cond_;
    pending_cond_ = -1;
    out_batch_->bytes.append(record);
    out_batch_->recs.push_back(r);
  }
  void FlowEnding(uint64_t flow_id) override { flow_id_ = flow_id; }
  void FlowEnded() override { flow_id_ = 0; }
  void Conditional(const detect::Alert& alert, const decode::Packet& p, uint64_t group) override {
    Cond c;
    c.rule = alert.rule;
    c.engine = scanner_.engine();
    c.deferred = alert.deferred;
    c.pass = alert.rule->action == rules::Action::kPass;
    c.group = group;
    c.KeepHeader(p);
    out_batch_->conds.push_back(c);
    const auto at = static_cast<int32_t>(out_batch_->conds.size() - 1);
    if (c.pass) {
      Rec r;
      r.key = NextKey();
      r.cond = at;
      out_batch_->recs.push_back(r);
    } else {
      pending_cond_ = at;  // the record written next
    }
  }

  void ConditionalIntel(uint32_t sid, const rules::ThresholdOption& threshold,
                        const std::shared_ptr<const intel::IntelStore>& store, uint32_t indicator,
                        const decode::Packet& p) override {
    Cond c;
    c.intel = store;
    c.indicator = indicator;
    c.intel_sid = sid;
    c.intel_threshold = threshold;
    c.KeepHeader(p);
    out_batch_->conds.push_back(std::move(c));
    pending_cond_ = static_cast<int32_t>(out_batch_->conds.size() - 1);  // the record written next
  }

  void Loop() {
    for (;;) {
      Batch* b = in_.Pop();
      for (const Item& it : b->items) {
        capture::PacketView v = it.view;
        if (it.frame_in_arena) v.data = b->arena.data() + it.frame_offset;
        index_ = it.index;
        unit_ = it.unit;
        switch (it.kind) {
          case Item::Kind::kTick:
            scanner_.Tick(v.ts_ns);
            break;
          case Item::Kind::kStats:
            Snapshot();
            break;
          case Item::Kind::kPacket:
            ++packets_;
            scanner_.set_verify_checksums(it.verify);
            scanner_.ProcessPacket(v, *it.name);
            break;
          case Item::Kind::kDatagram:
            scanner_.set_verify_checksums(it.verify);
            scanner_.ProcessDatagram(v, std::span<const uint8_t>(b->arena.data() + it.datagram_offset, it.datagram_len),
                                     it.vlan_count, it.vlan_id, *it.name);
            break;
        }
      }
      const bool finish = b->finish;
      const uint64_t through = b->through;
      b->items.clear();
      b->arena.clear();
      b->finish = false;
      free_.Push(b);
      if (finish) {
        index_ = kEnd;
        unit_ = 0;
        scanner_.Finish();
        Publish(kEnd, true);
        return;
      }
      Publish(through + 1, false);
    }
  }

  // RunCapture: reads `source` on this thread until it ends (stop, or the
  // source's own Stop), then ends this worker's flows. Records are handed
  // to the writer every flush interval, and whenever the source waits for
  // packets (then even an empty batch, so the writer wakes up to reopen
  // files and gather stats while traffic is quiet).
  void CaptureLoop(capture::PacketSource& source, RunControl* control, absl::Status* error) {
    scanner_.SetWorkerMode(this, Scanner::Feed::kOwnCapture);
    using Clock = std::chrono::steady_clock;
    const auto flush_every = std::chrono::milliseconds(std::max<uint32_t>(owner_->parallel_.flush_interval_ms, 1));
    Clock::time_point last_publish = Clock::now();
    uint64_t epoch = owner_->snapshot_epoch_.load(std::memory_order_acquire);
    // True when the writer asked for counters since the last answer.
    auto answer_snapshot = [&] {
      const uint64_t e = owner_->snapshot_epoch_.load(std::memory_order_acquire);
      if (e == epoch) return false;
      epoch = e;
      Snapshot();
      return true;
    };
    source.set_idle_handler([&] {
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      index_ = static_cast<uint64_t>(now);
      unit_ = 0;
      scanner_.IdleTick(now);
      answer_snapshot();
      Publish(index_, false);
      last_publish = Clock::now();
    });
    capture::PacketView view;
    uint32_t since_check = 0;
    for (;;) {
      if (control && control->stop.load(std::memory_order_relaxed)) break;
      absl::StatusOr<bool> more = source.Next(view);
      if (!more.ok()) {
        *error = more.status();
        break;
      }
      if (!*more) break;
      index_ = static_cast<uint64_t>(view.ts_ns);
      unit_ = 1;
      ++packets_;
      scanner_.ProcessPacket(view, source.name());
      // Records go out within the flush interval even at a trickle of
      // packets (the idle handler only runs after 100 ms without any); the
      // clock is read only while records wait.
      const bool snapshot = ++since_check % 64 == 0 && answer_snapshot();
      if (snapshot || !out_batch_->recs.empty()) {
        const Clock::time_point now = Clock::now();
        if (snapshot || now - last_publish >= flush_every) {
          Publish(index_, false);
          last_publish = now;
        }
      }
    }
    source.set_idle_handler(nullptr);
    index_ = kEnd;
    unit_ = 0;
    scanner_.Finish();
    Publish(kEnd, true);
  }

  ParallelScan* owner_;
  SpscRing<Batch*> in_;    // reader -> worker
  SpscRing<Batch*> free_;  // worker -> reader: batches done with
  SpscRing<OutBatch*> out_;       // worker -> writer
  SpscRing<OutBatch*> out_free_;  // writer -> worker: records written
  output::EveWriter eve_;
  output::ScanSummary summary_;
  Scanner scanner_;
  std::thread thread_;
  uint64_t packets_ = 0;
  std::vector<std::unique_ptr<Batch>> batches_;         // owned; the reader hands them out
  std::vector<std::unique_ptr<OutBatch>> out_batches_;  // owned; grown by this thread only

 private:
  RecordKey NextKey() { return RecordKey{index_, unit_, flow_id_, ++seq_}; }
  // This worker's counters now, as a record for the writer to add up.
  void Snapshot() {
    ScanCounters snapshot;
    scanner_.AddCountersTo(snapshot);
    out_batch_->snapshots.push_back(std::move(snapshot));
    Rec r;
    r.key = NextKey();
    r.snapshot = static_cast<int32_t>(out_batch_->snapshots.size() - 1);
    out_batch_->recs.push_back(r);
  }
  OutBatch* NewOutBatch() {
    out_batches_.push_back(std::make_unique<OutBatch>());
    return out_batches_.back().get();
  }
  void Publish(uint64_t through, bool last) {
    out_batch_->through = through;
    out_batch_->last = last;
    out_.Push(out_batch_);
    owner_->posted_.fetch_add(1, std::memory_order_release);
    owner_->posted_.notify_one();
    if (last) return;
    // The writer never waits for this worker, so a batch it still holds
    // is replaced by a new one rather than waited for.
    std::optional<OutBatch*> next = out_free_.TryPop();
    out_batch_ = next ? *next : NewOutBatch();
    out_batch_->Clear();
  }

  OutBatch* out_batch_ = nullptr;
  uint64_t index_ = 0;
  uint32_t unit_ = 0;
  uint64_t flow_id_ = 0;
  uint64_t seq_ = 0;
  int32_t pending_cond_ = -1;
};

namespace {

ScannerOptions WorkerOptions(const ScannerOptions& o, uint32_t n) {
  ScannerOptions w = o;
  w.flow.memcap = std::max<size_t>(o.flow.memcap / n, 1);
  w.stream.memcap = std::max<size_t>(o.stream.memcap / n, 1);
  w.defrag.memcap = std::max<size_t>(o.defrag.memcap / n, 1);
  return w;
}

// Names the thread for top -H, perf and gdb (at most 15 characters).
void NameThread(std::thread& t, const std::string& name) {
  pthread_setname_np(t.native_handle(), name.substr(0, 15).c_str());
}

}  // namespace

ParallelScan::ParallelScan(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
                           const ParallelOptions& parallel, output::EveWriter* eve, output::ScanSummary* summary)
    :       options_(options),
      parallel_(parallel),
      eve_(eve),
      summary_(summary),
      decoder_(DecoderOptionsFor(options)),
      defrag_(options.defrag),
      checksums_(options.checksums == ChecksumMode::kVerify) {
  parallel_.workers = std::max<uint32_t>(parallel_.workers, 1);
  parallel_.batch_items = std::max<uint32_t>(parallel_.batch_items, 1);
  parallel_.batches_in_flight = std::max<uint32_t>(parallel_.batches_in_flight, 2);
  const ScannerOptions per_worker = WorkerOptions(options, parallel_.workers);
  for (uint32_t i = 0; i < parallel_.workers; ++i) {
    // Only the workers hold the engine: after a reload nothing here keeps
    // the old one alive.
    workers_.push_back(std::make_unique<Worker>(this, engine, per_worker));
  }
}

ParallelScan::~ParallelScan() {
  if (started_ && !finished_) Finish();
}

void ParallelScan::set_intel(std::shared_ptr<const intel::IntelStore> store, uint8_t digest_kinds) {
  for (auto& w : workers_) w->scanner_.set_intel(store, digest_kinds);
}

void ParallelScan::set_ruleset_slot(const RulesetSlot* slot) {
  for (auto& w : workers_) w->scanner_.set_ruleset_slot(slot);
}

uint64_t ParallelScan::rule_swaps() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w->scanner_.rule_swaps();
  return n;
}

void ParallelScan::Start() {
  started_ = true;
  spare_.resize(workers_.size());
  outstanding_.assign(workers_.size(), 0);
  for (size_t w = 0; w < workers_.size(); ++w) {
    Worker& worker = *workers_[w];
    for (uint32_t i = 0; i < parallel_.batches_in_flight; ++i) {
      worker.batches_.push_back(std::make_unique<Batch>());
      worker.batches_.back()->items.reserve(parallel_.batch_items);
      spare_[w].push_back(worker.batches_.back().get());
    }
    worker.thread_ = std::thread([&worker] { worker.Loop(); });
    NameThread(worker.thread_, "kagami-w" + std::to_string(w + 1));
  }
  filling_.resize(workers_.size());
  for (uint32_t w = 0; w < workers_.size(); ++w) filling_[w] = TakeBatch(w);
  writer_ = std::thread([this] { WriterLoop(); });
  NameThread(writer_, "kagami-writer");
}

ParallelScan::Batch* ParallelScan::TakeBatch(uint32_t w) {
  if (spare_[w].empty()) {
    std::optional<Batch*> b = workers_[w]->free_.TryPop();
    if (!b) {
      ++reader_waits_;  // the worker still holds every batch: it is behind
      b = workers_[w]->free_.Pop();
    }
    --outstanding_[w];
    return *b;
  }
  Batch* b = spare_[w].back();
  spare_[w].pop_back();
  return b;
}

void ParallelScan::FlushAll(bool finish) {
  unflushed_ = false;
  if (parallel_.flush_interval_ms) last_flush_ = std::chrono::steady_clock::now();
  for (uint32_t w = 0; w < workers_.size(); ++w) {
    Batch* b = filling_[w];
    b->through = index_;
    b->finish = finish;
    workers_[w]->in_.Push(b);
    ++outstanding_[w];
    filling_[w] = finish ? nullptr : TakeBatch(w);
  }
}

void ParallelScan::Drain() {
  FlushAll(false);
  for (uint32_t w = 0; w < workers_.size(); ++w) {
    while (outstanding_[w] > 0) {
      spare_[w].push_back(workers_[w]->free_.Pop());
      --outstanding_[w];
    }
  }
}

uint32_t ParallelScan::CopyToArena(uint32_t w, const uint8_t* data, size_t len) {
  std::vector<uint8_t>& arena = filling_[w]->arena;
  const auto at = static_cast<uint32_t>(arena.size());
  arena.insert(arena.end(), data, data + len);
  return at;
}

void ParallelScan::AddItem(uint32_t w, const Item& item) {
  filling_[w]->items.push_back(item);
  unflushed_ = true;
  // One full batch sends them all: every worker's clock (and so the
  // writer's merge) moves on together.
  if (filling_[w]->items.size() >= parallel_.batch_items) FlushAll(false);
}

uint32_t ParallelScan::WorkerOf(const decode::Packet& p) {
  const auto n = static_cast<uint32_t>(workers_.size());
  if (p.is_fragment) return WorkerFor(DispatchHash(p, DispatchKind::kFragment), n);
  decode::Packet inner;
  const bool carrier = decoder_.DecodeTunnel(p, inner) == decode::DecodeResult::kOk;
  return WorkerFor(DispatchHash(p, carrier ? DispatchKind::kTunnelCarrier : DispatchKind::kFlow), n);
}

void ParallelScan::Dispatch(const capture::PacketView& view, const std::string* name, bool stable) {
  // The reader's decode only places the packet: the worker decodes it again
  // (and counts it). Checksums matter here only while the policy samples.
  decoder_.set_verify_checksums(checksums_.sampling());
  const bool verify = checksums_.verify();
  decode::Packet p;
  const bool ip = decoder_.Decode(view, p) == decode::DecodeResult::kOk && p.ip_version != 0;
  const uint32_t w = ip ? WorkerOf(p) : 0;

  Item it;
  it.kind = Item::Kind::kPacket;
  it.verify = verify;
  it.unit = 1;
  it.index = index_;
  it.view = view;
  it.name = name;
  if (!stable) {
    it.frame_in_arena = true;
    it.frame_offset = CopyToArena(w, view.data, view.caplen);
  }
  AddItem(w, it);

  if (ip && p.is_fragment && p.tunnel_depth == 0) {
    std::span<const uint8_t> datagram = defrag_.Add(p, view.ts_ns);
    if (!datagram.empty()) {
      capture::PacketView dv = view;
      dv.linktype = capture::kLinkRaw;
      dv.data = datagram.data();
      dv.caplen = dv.wirelen = static_cast<uint32_t>(datagram.size());
      decode::Packet whole;
      uint32_t dw = 0;
      if (decoder_.Decode(dv, whole) == decode::DecodeResult::kOk && whole.ip_version != 0) {
        // The datagram travelled where its fragments did (its VLANs count).
        whole.vlan_count = p.vlan_count;
        whole.vlan_id = p.vlan_id;
        dw = WorkerOf(whole);
      }
      Item d = it;
      d.kind = Item::Kind::kDatagram;
      d.unit = 2;
      d.vlan_count = p.vlan_count;
      d.vlan_id = p.vlan_id;
      d.frame_in_arena = !stable;
      if (!stable) d.frame_offset = CopyToArena(dw, view.data, view.caplen);
      d.datagram_offset = CopyToArena(dw, datagram.data(), datagram.size());
      d.datagram_len = static_cast<uint32_t>(datagram.size());
      AddItem(dw, d);
    }
  }
  if (ip) checksums_.Observe(p);
}

void ParallelScan::MaybeRequestStats(const capture::PacketSource& source) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_stats_) return;
  next_stats_ = now + stats_.interval;
  Item it;
  it.kind = Item::Kind::kStats;
  it.unit = 0;
  it.index = index_;
  {
    // What the reader counts itself goes to the writer beside the items.
    std::lock_guard<std::mutex> lock(reader_counts_mu_);
    reader_defrag_ = defrag_.counters();
    reader_kernel_ = source.kernel_counts();
  }
  for (uint32_t w = 0; w < workers_.size(); ++w) AddItem(w, it);
  FlushAll(false);
}

absl::Status ParallelScan::Run(capture::PacketSource& source, RunControl* control) {
  if (!started_) Start();
  const bool periodic = stats_.interval.count() > 0 && stats_.emit;
  if (periodic && next_stats_ == std::chrono::steady_clock::time_point{}) {
    next_stats_ = std::chrono::steady_clock::now() + stats_.interval;
  }
  names_.push_back(source.name());
  const std::string* name = &names_.back();
  const bool stable = source.stable_views();
  const auto interval = std::chrono::milliseconds(parallel_.flush_interval_ms);
  if (parallel_.flush_interval_ms || periodic) {
    source.set_idle_handler([this, &source, periodic] {
      if (periodic) MaybeRequestStats(source);
      if (unflushed_) FlushAll(false);
    });
  }
  uint32_t since_check = 0;
  absl::Status status;
  capture::PacketView view;
  for (;;) {
    if (control && control->stop.load(std::memory_order_relaxed)) break;
    absl::StatusOr<bool> more = source.Next(view);
    if (!more.ok()) {
      status = more.status();
      break;
    }
    if (!*more) break;
    if (control && control->reopen_output.exchange(false, std::memory_order_relaxed)) {
      reopen_.store(true, std::memory_order_relaxed);
    }
    ++index_;
    summary_->AddPacket(view.wirelen);
    if (progress_) progress_->Update(*summary_);
    if (clock_.Due(view.ts_ns)) {
      // Every worker expires its flows at this same moment.
      Item tick;
      tick.kind = Item::Kind::kTick;
      tick.unit = 0;
      tick.index = index_;
      tick.view.ts_ns = view.ts_ns;
      for (uint32_t w = 0; w < workers_.size(); ++w) AddItem(w, tick);
      defrag_.Expire(view.ts_ns);
    }
    Dispatch(view, name, stable);
    if (periodic && ++since_check % 64 == 0) MaybeRequestStats(source);
    if (parallel_.flush_interval_ms && unflushed_ && std::chrono::steady_clock::now() - last_flush_ >= interval) {
      FlushAll(false);
    }
  }
  source.set_idle_handler(nullptr);
  // The source's views must not outlive it.
  Drain();
  return status;
}

absl::Status ParallelScan::RunCapture(std::vector<capture::PacketSource*> sources, RunControl* control) {
  if (started_ || sources.size() != workers_.size()) {
    return absl::FailedPreconditionError("RunCapture needs one source per worker and a ParallelScan not yet run");
  }
  started_ = true;
  capture_mode_ = true;
  capture_control_ = control;
  capture_sources_ = sources;
  capture_errors_.assign(workers_.size(), absl::OkStatus());
  if (stats_.interval.count() > 0 && stats_.emit) next_stats_ = std::chrono::steady_clock::now() + stats_.interval;
  for (size_t w = 0; w < workers_.size(); ++w) {
    Worker& worker = *workers_[w];
    worker.thread_ = std::thread([&worker, source = sources[w], control, error = &capture_errors_[w]] {
      worker.CaptureLoop(*source, control, error);
    });
    NameThread(worker.thread_, "kagami-w" + std::to_string(w + 1));
  }
  writer_ = std::thread([this] { WriterLoop(); });
  NameThread(writer_, "kagami-writer");
  for (auto& w : workers_) w->thread_.join();
  for (const absl::Status& e : capture_errors_) {
    if (!e.ok()) return e;
  }
  return absl::OkStatus();
}

void ParallelScan::Finish() {
  if (finished_) return;
  if (!started_) Start();
  finished_ = true;
  if (!capture_mode_) {
    FlushAll(true);
    for (auto& w : workers_) w->thread_.join();
  }
  writer_.join();
  for (auto& w : workers_) {
    summary_->MergeAlerts(w->summary_);
    // Workers reading their own sockets counted the packets themselves.
    if (capture_mode_) summary_->MergePackets(w->summary_);
  }
  summary_->MergeAlerts(writer_summary_);
  for (std::string& e : writer_errors_) summary_->AddError(std::move(e));
  writer_errors_.clear();
  eve_->Flush();
}

ScanCounters ParallelScan::counters() const {
  ScanCounters total;
  for (const auto& w : workers_) w->scanner_.AddCountersTo(total);
  // Fragments outside tunnels were reassembled here, not by the workers.
  AddCounts(total.defrag, defrag_.counters());
  total.alerts += writer_summary_.alerts();
  return total;
}

std::vector<ScanCounters> ParallelScan::worker_counters() const {
  std::vector<ScanCounters> out(workers_.size());
  for (size_t w = 0; w < workers_.size(); ++w) workers_[w]->scanner_.AddCountersTo(out[w]);
  return out;
}

std::vector<uint64_t> ParallelScan::packets_per_worker() const {
  std::vector<uint64_t> out;
  for (const auto& w : workers_) out.push_back(w->packets_);
  return out;
}

uint64_t ParallelScan::alerts() const {
  uint64_t n = writer_summary_.alerts();
  for (const auto& w : workers_) n += w->scanner_.alerts();
  return n;
}

void ParallelScan::WriterLoop() {
  const size_t n = workers_.size();
  std::vector<std::deque<OutBatch*>> pending(n);
  std::vector<uint64_t> through(n, 0);
  std::vector<bool> done(n, false);
  // The inspection (worker, group) whose conditional alerts are being
  // decided, and whether a pass rule of it took effect.
  size_t group_worker = n;
  uint64_t group = 0;
  bool group_passed = false;

  // The engine whose rules writer_summary_ counts (see emit).
  std::shared_ptr<const detect::DetectEngine> summary_engine;
  // Periodic stats: every worker's snapshot taken at the same packet (or,
  // in RunCapture, when the writer asked: one request at a time).
  ScanCounters stats_sum;
  size_t stats_parts = 0;
  bool snapshot_asked = false;
  const bool periodic = stats_.interval.count() > 0 && stats_.emit;

  auto emit = [&](size_t w, const OutBatch& b, const Rec& r) {
    const std::string_view bytes(b.bytes.data() + r.offset, r.len);
    if (r.snapshot >= 0) {
      const ScanCounters& s = b.snapshots[static_cast<size_t>(r.snapshot)];
      AddCounts(stats_sum.decoder, s.decoder);
      AddCounts(stats_sum.flow, s.flow);
      AddCounts(stats_sum.stream, s.stream);
      AddCounts(stats_sum.defrag, s.defrag);
      AddCounts(stats_sum.app, s.app);
      stats_sum.alerts += s.alerts;
      stats_sum.intel_lookups += s.intel_lookups;
      stats_sum.flow_memory += s.flow_memory;
      stats_sum.reassembly_memory += s.reassembly_memory;
      if (++stats_parts == n) {
        if (capture_mode_) {
          stats_sum.kernel = capture::PacketSource::KernelCounts{};
          for (const capture::PacketSource* source : capture_sources_) {
            if (auto k = source->kernel_counts()) {
              stats_sum.kernel->packets += k->packets;
              stats_sum.kernel->drops += k->drops;
            }
          }
          snapshot_asked = false;
        } else {
          std::lock_guard<std::mutex> lock(reader_counts_mu_);
          AddCounts(stats_sum.defrag, reader_defrag_);
          stats_sum.kernel = reader_kernel_;
        }
        stats_sum.alerts += writer_summary_.alerts();
        stats_.emit(stats_sum);
        stats_sum = ScanCounters{};
        stats_parts = 0;
      }
      return;
    }
    if (r.cond < 0) {
      eve_->WriteRecord(bytes);
      return;
    }
    const Cond& c = b.conds[static_cast<size_t>(r.cond)];
    if (c.intel) {
      // An indicator alert: no pass rule of an inspection applies to it.
      if (!thresholds_.Threshold(detect::IndicatorRateKey(c.intel_sid), c.intel_threshold, c.HeaderPacket(),
                                 c.ts_ns)) {
        return;
      }
      eve_->WriteRecord(bytes);
      writer_summary_.AddIntelAlert(intel::kIntelGid, c.intel_sid, c.intel->Signature(c.indicator));
      return;
    }
    if (w != group_worker || c.group != group) {
      group_worker = w;
      group = c.group;
      group_passed = false;
    }
    if (group_passed) return;  // a pass rule before it in the same inspection
    const rules::Rule& rule = *c.rule;
    if (c.deferred != detect::Alert::Deferred::kNo) {
      // Rate state is keyed by gid:sid, so it carries over a reload.
      const bool ok = detect::PassesRateLimits(thresholds_, rule, c.HeaderPacket(), c.ts_ns);
      if (!ok || c.deferred == detect::Alert::Deferred::kRateLimitsSuppressed) return;
    }
    if (c.pass) {
      group_passed = true;
      return;
    }
    eve_->WriteRecord(bytes);
    if (c.engine != summary_engine) {
      // The summary may only point at rules of an engine kept alive here.
      writer_summary_.ForgetRules();
      summary_engine = c.engine;
    }
    writer_summary_.AddAlert(rule);
  };

  for (;;) {
    const uint64_t seen = posted_.load(std::memory_order_acquire);
    for (size_t w = 0; w < n; ++w) {
      while (std::optional<OutBatch*> b = workers_[w]->out_.TryPop()) {
        through[w] = (*b)->through;
        if ((*b)->last) done[w] = true;
        pending[w].push_back(*b);
      }
    }
    const bool reopen = capture_mode_ ? capture_control_ && capture_control_->reopen_output.exchange(false)
                                      : reopen_.exchange(false, std::memory_order_relaxed);
    if (reopen) {
      if (absl::Status s = eve_->Reopen(); !s.ok()) writer_errors_.emplace_back(s.message());
    }
    if (capture_mode_ && periodic && !snapshot_asked && std::chrono::steady_clock::now() >= next_stats_) {
      next_stats_ = std::chrono::steady_clock::now() + stats_.interval;
      snapshot_asked = true;
      snapshot_epoch_.fetch_add(1, std::memory_order_release);
    }
    for (;;) {
      size_t best = n;
      const Rec* best_rec = nullptr;
      for (size_t w = 0; w < n; ++w) {
        while (!pending[w].empty() && pending[w].front()->cursor >= pending[w].front()->recs.size()) {
          OutBatch* spent = pending[w].front();
          pending[w].pop_front();
          if (!spent->last) workers_[w]->out_free_.TryPush(spent);  // full: the worker makes another
        }
        if (pending[w].empty()) continue;
        const OutBatch& b = *pending[w].front();
        const Rec& r = b.recs[b.cursor];
        if (best_rec == nullptr || r.key < best_rec->key) {
          best = w;
          best_rec = &r;
        }
      }
      if (best_rec == nullptr) break;
      // Another worker with nothing pending may still write a record that
      // comes first, unless its clock is already past this one. Workers
      // reading their own sockets share no order: records go as they come.
      bool ready = true;
      for (size_t v = 0; v < n && ready && !capture_mode_; ++v) {
        if (v != best && pending[v].empty() && !done[v] && !(best_rec->key < RecordKey{through[v], 0, 0, 0})) {
          ready = false;
        }
      }
      if (!ready) break;
      OutBatch& b = *pending[best].front();
      emit(best, b, *best_rec);
      ++b.cursor;
    }
    bool all_done = true;
    for (size_t w = 0; w < n; ++w) all_done = all_done && done[w] && pending[w].empty();
    if (all_done) {
      // summary_engine goes with this frame: the summary must not point at
      // rules that may go with it (Finish merges and prints it later).
      if (summary_engine) writer_summary_.ForgetRules();
      return;
    }
    if (options_.flush_alerts) eve_->Flush();
    posted_.wait(seen, std::memory_order_acquire);
  }
}

}  // namespace kagami::pipeline
