#pragma once
// `kagami scan --jobs URL`: a worker that takes capture paths from a shared
// job queue (jobs/job_queue.h), scans each with the loaded rules and feeds,
// and delivers its records: to the outputs the queue commits with the job
// (Redis outputs on its server, Kafka outputs on its cluster) in the same
// step as the job's acknowledgement (exactly once), and to every other
// output before it (at least once).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cli/output_options.h"
#include "engine/detect/detect_engine.h"
#include "engine/intel/intel_store.h"
#include "engine/pipeline/scanner.h"

namespace kagami::cli {

struct JobWorkerArgs {
  std::string url;                          // --jobs: redis://, redis+unix:// or kafka://
  std::chrono::seconds job_timeout{60};     // --job-timeout: a quiet worker's job is taken over after this
                                            // (Kafka: the group's session.timeout.ms)
  bool exit_when_idle = false;              // --exit-when-idle
  uint32_t workers = 1;                     // inspection threads per job
  bool quiet = false;
  const OutputArgs* output = nullptr;
  std::string eve_types;
  std::shared_ptr<const detect::DetectEngine> engine;
  std::shared_ptr<const intel::IntelStore> intel;
  uint8_t digest_kinds = 0;
  pipeline::ScannerOptions options;
};

// Runs until --exit-when-idle finds the archive done, or SIGINT/SIGTERM.
// Exit status: 0, 1 when an output dropped records or a job could not be
// committed, 2 when the queue or an output cannot be opened.
int RunJobWorker(JobWorkerArgs args);

}  // namespace kagami::cli
