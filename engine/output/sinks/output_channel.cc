#include "engine/output/sinks/output_channel.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kagami::output {
namespace {

// Records read from the spool per delivery.
constexpr size_t kSpoolBatch = size_t{1} << 20;
constexpr std::chrono::milliseconds kFirstBackoff{100};

uint64_t CountRecords(std::string_view data) {
  return static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
}

}  // namespace

OutputChannel::OutputChannel(OutputSpec spec, std::unique_ptr<Transport> transport)
    : spec_(std::move(spec)), transport_(std::move(transport)), description_(transport_->Describe()) {}

OutputChannel::~OutputChannel() {
  if (thread_.joinable()) Stop(std::chrono::milliseconds(0));
}

void OutputChannel::Event(const std::string& text) {
  if (on_event_) on_event_(absl::StrCat("output ", spec_.name, " (", description_, "): ", text));
}

absl::Status OutputChannel::Start(absl::Status* first_connect) {
  if (!spec_.spool_dir.empty()) {
    std::string note;
    auto spool = Spool::Open(spec_.spool_dir, spec_.spool_max, &note);
    if (!spool.ok()) {
      return absl::Status(spool.status().code(), absl::StrCat("output ", spec_.name, ": ", spool.status().message()));
    }
    spool_ = std::move(*spool);
    if (!note.empty()) Event(note);
  }
  // A first connection now, so a destination that cannot work (a file in a
  // missing directory) is known before any packet is read.
  *first_connect = transport_->Connect();
  connected_ = first_connect->ok();
  ever_connected_ = connected_;
  connected_flag_ = connected_;
  if (!connected_) {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = std::string(first_connect->message());
  }
  last_progress_ = std::chrono::steady_clock::now();
  thread_ = std::thread(&OutputChannel::Run, this);
  return absl::OkStatus();
}

void OutputChannel::Write(std::string_view record) {
  std::unique_lock<std::mutex> lock(mu_);
  if (queue_.size() + record.size() > spec_.queue_max) {
    if (spool_) SpillQueueLocked();
    if (queue_.size() + record.size() > spec_.queue_max) {
      // Without a spool the queue is full; with one, the record alone is
      // larger than the queue (the spool, behind the queue, keeps order).
      if (!spool_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      const Spool::AppendResult r = spool_->Append(record);
      dropped_.fetch_add(r.refused, std::memory_order_relaxed);
      if (!r.status.ok()) last_error_ = std::string(r.status.message());
      return;
    }
  }
  const bool wake = queue_.empty();
  queue_.append(record);
  ++queue_records_;
  lock.unlock();
  if (wake) cv_.notify_one();
}

void OutputChannel::SpillQueueLocked() {
  if (queue_.empty()) return;
  const Spool::AppendResult r = spool_->Append(queue_);
  dropped_.fetch_add(r.refused, std::memory_order_relaxed);
  if (!r.status.ok()) last_error_ = std::string(r.status.message());
  queue_.clear();
  queue_records_ = 0;
}

void OutputChannel::RequestReopen() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    reopen_ = true;
  }
  cv_.notify_one();
}

void OutputChannel::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    grace_ = grace;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (spool_) {
    if (absl::Status s = spool_->Sync(); !s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = std::string(s.message());
    }
  }
  transport_->Disconnect();
  connected_flag_ = false;
}

void OutputChannel::Run() {
  // A peer that closes makes the next write raise SIGPIPE in this thread
  // (hiredis writes without MSG_NOSIGNAL); blocked, the write fails with
  // EPIPE instead and the channel reconnects.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  for (;;) {
    bool reopen = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto spooled = [this] { return spool_ && !spool_->empty(); };
      if (batch_.empty() && !spooled()) {
        cv_.wait(lock, [&] { return !queue_.empty() || stop_ || reopen_; });
      }
      reopen = std::exchange(reopen_, false);
      if (batch_.empty() && !spooled() && queue_.empty()) {
        if (stop_) break;
        if (!reopen) continue;
      }
    }
    if (reopen && connected_) {
      if (absl::Status s = transport_->Reopen(); !s.ok()) {
        transport_->Disconnect();
        connected_ = false;
        connected_flag_ = false;
        if (!AfterFailure(s)) break;
        continue;
      }
    }
    if (!connected_) {
      if (absl::Status s = transport_->Connect(); !s.ok()) {
        if (!AfterFailure(s)) break;
        continue;
      }
      connected_ = true;
      connected_flag_ = true;
      if (ever_connected_) reconnects_.fetch_add(1, std::memory_order_relaxed);
      ever_connected_ = true;
    }
    if (batch_.empty()) {
      if (spool_ && !spool_->empty()) {
        if (absl::Status s = spool_->ReadHead(&batch_, kSpoolBatch); !s.ok()) {
          if (!AfterFailure(s)) break;
          continue;
        }
        batch_from_spool_ = true;
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        batch_.swap(queue_);
        batch_records_ = queue_records_;
        queue_records_ = 0;
        in_batch_.store(batch_records_, std::memory_order_relaxed);
        batch_from_spool_ = false;
      }
      if (batch_.empty()) continue;
    }
    const DeliverResult r = transport_->Deliver(batch_);
    if (r.bytes > 0) {
      const uint64_t n = CountRecords(std::string_view(batch_).substr(0, r.bytes));
      sent_.fetch_add(n - std::min<uint64_t>(n, r.rejected), std::memory_order_relaxed);
      dropped_.fetch_add(std::min<uint64_t>(n, r.rejected), std::memory_order_relaxed);
      if (batch_from_spool_) {
        if (absl::Status s = spool_->Consume(std::string_view(batch_).substr(0, r.bytes)); !s.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          last_error_ = std::string(s.message());
        }
      } else {
        batch_records_ -= std::min(batch_records_, n);
        in_batch_.store(batch_records_, std::memory_order_relaxed);
      }
      batch_.erase(0, r.bytes);
      last_progress_ = std::chrono::steady_clock::now();
    }
    if (r.status.ok() && backoff_.count() != 0) {
      // Back after a failure: said once, and the backoff starts over.
      backoff_ = std::chrono::milliseconds(0);
      Event("delivering again");
    }
    if (!r.status.ok()) {
      transport_->Disconnect();
      connected_ = false;
      connected_flag_ = false;
      if (!AfterFailure(r.status)) break;
    }
  }
}

bool OutputChannel::AfterFailure(const absl::Status& status) {
  const bool first = backoff_.count() == 0;
  if (spool_) {
    if (batch_from_spool_) {
      batch_.clear();  // still in the spool, read again once the peer is back
    } else if (!batch_.empty()) {
      const Spool::AppendResult r = spool_->Prepend(batch_);
      dropped_.fetch_add(r.refused, std::memory_order_relaxed);
      batch_.clear();
      batch_records_ = 0;
      in_batch_.store(0, std::memory_order_relaxed);
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  last_error_ = std::string(status.message());
  if (spool_) SpillQueueLocked();
  if (first) {
    lock.unlock();
    Event(absl::StrCat(status.message(), "; retrying",
                       spool_ ? absl::StrCat(", records go to the spool ", spool_->dir()) : std::string()));
    lock.lock();
  }
  const auto now = std::chrono::steady_clock::now();
  if (stop_) {
    // Spooled records are safe for the next run; without a spool, wait for
    // the peer as long as `grace` allows before giving records up.
    if (spool_) return false;
    if (now - last_progress_ >= grace_) {
      const uint64_t lost = queue_records_ + batch_records_;
      dropped_.fetch_add(lost, std::memory_order_relaxed);
      queue_.clear();
      queue_records_ = 0;
      batch_.clear();
      batch_records_ = 0;
      in_batch_.store(0, std::memory_order_relaxed);
      if (lost > 0) {
        lock.unlock();
        Event(absl::StrCat("gave up at shutdown: ", lost, lost == 1 ? " record" : " records", " dropped"));
      }
      return false;
    }
  }
  backoff_ = first ? kFirstBackoff : std::min(backoff_ * 2, spec_.reconnect_max);
  auto wait = backoff_;
  if (stop_) {
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(grace_ - (now - last_progress_)));
  }
  const bool stopping = stop_;
  cv_.wait_for(lock, wait, [&] { return stop_ != stopping; });
  return true;
}

OutputCounters OutputChannel::counters() const {
  OutputCounters c;
  c.sent = sent_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.reconnects = reconnects_.load(std::memory_order_relaxed);
  c.connected = connected_flag_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  c.queued = queue_records_ + in_batch_.load(std::memory_order_relaxed);
  c.spooled = spool_ ? spool_->records() : 0;
  c.last_error = last_error_;
  return c;
}

}  // namespace kagami::output
