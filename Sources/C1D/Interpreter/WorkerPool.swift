import Dispatch
import Synchronization

/// Threads kept for the life of the process that spin for a short while between jobs, so that a
/// layer of a few microseconds can still be split across cores (onnxruntime and XNNPACK keep such
/// pools for the same reason). Waking a sleeping thread, as GCD does for every `concurrentPerform`,
/// costs tens of microseconds: more than a whole small convolution.
///
/// One job runs at a time. A caller that finds the pool busy (another thread is running a model) falls
/// back to `concurrentPerform`, so concurrent callers stay correct, only less quick.
final class WorkerPool: @unchecked Sendable {
  /// Workers for every core but the caller's; started on first use.
  static let shared = WorkerPool(workers: Platform.coreCount - 1)

  /// How long an idle worker spins before it sleeps: longer than the gap between two layers, far
  /// shorter than a user would notice as a busy core.
  private static let spinNanoseconds = 1_000_000

  /// Threads running `work(as:)`; every job is acknowledged by all of them, so none can miss one.
  private var workers = 0
  /// Bumped once per job; a worker that sees it change takes the job.
  private let generation = Atomic<Int>(0)
  /// Workers that have not yet acknowledged the current job.
  private let pending = Atomic<Int>(0)
  /// Set while a caller owns the pool.
  private let busy = Atomic<Bool>(false)
  /// Workers asleep on `wake`.
  private let sleepers = Atomic<Int>(0)
  /// The current job: written by the owning caller before it bumps `generation`, read by workers after
  /// they see the bump (the bump releases, their load acquires), cleared after every worker acknowledged.
  private var job: Job?
  /// Where idle workers sleep.
  private let wake = SleepLock()

  private struct Job {
    let participants: Int
    let body: @Sendable (Int) -> Void
  }

  private init(workers requested: Int) {
    // A thread that cannot be created only makes the pool smaller.
    while workers < requested, start(worker: workers + 1) { workers += 1 }
  }

  /// The most participants a job can have: the workers and the caller.
  var capacity: Int { workers + 1 }

  /// Runs `body(0)` … `body(participants − 1)` at once, `body(0)` on the calling thread, and returns
  /// when all have finished. (`body` is escaping because workers hold it in `job`; a
  /// `withoutActuallyEscaping` check would race with a worker releasing its copy.)
  /// - Parameters:
  ///   - participants: at most `capacity`; fewer leaves the other workers idle for this job.
  func run(participants: Int, _ body: @escaping @Sendable (Int) -> Void) {
    precondition(participants <= capacity, "WorkerPool: \(participants) participants, capacity \(capacity)")
    guard participants > 1 else {
      if participants == 1 { body(0) }
      return
    }
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      DispatchQueue.concurrentPerform(iterations: participants, execute: body)
      return
    }
    job = Job(participants: participants, body: body)
    pending.store(workers, ordering: .sequentiallyConsistent)
    generation.add(1, ordering: .sequentiallyConsistent)
    if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      wake.lock()
      wake.wakeAll()
      wake.unlock()
    }
    body(0)
    // A worker that is not yet on a core (just started, or woken on the caller's core) would otherwise
    // wait out the caller's whole time slice: milliseconds, against the microseconds of a small job.
    var checks = 0
    while pending.load(ordering: .acquiring) > 0 {
      checks &+= 1
      if checks & 1023 == 0 { Platform.yieldCore() }
    }
    job = nil
    busy.store(false, ordering: .releasing)
  }

  /// - Returns: whether the thread started.
  private func start(worker index: Int) -> Bool {
    let callerCore = Platform.currentCore()
    return Platform.startDetachedThread {
      if let callerCore { Platform.moveOff(core: callerCore) }
      self.work(as: index)
    }
  }

  private func work(as index: Int) -> Never {
    var seen = 0  // the generation at init: a worker that starts late must still take job 1
    while true {
      var checks = 0
      var spinStart: Int?
      while generation.load(ordering: .acquiring) == seen {
        checks &+= 1
        // The clock is read now and then only: a check of the counter is far cheaper.
        guard checks & 1023 == 0 else { continue }
        // Linux may start or wake a worker on its caller's core while another core idles: spinning
        // there, it would keep the caller from the core it needs for a whole time slice.
        Platform.yieldCore()
        let now = Platform.monotonicNanoseconds()
        guard now - (spinStart ?? now) >= Self.spinNanoseconds else {
          if spinStart == nil { spinStart = now }
          continue
        }
        wake.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        wake.unlock()
      }
      seen += 1
      let job = self.job!
      if index < job.participants { job.body(index) }
      pending.subtract(1, ordering: .releasing)
    }
  }
}
