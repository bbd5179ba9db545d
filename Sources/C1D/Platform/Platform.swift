import CC1DKernels
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the library needs from the operating system besides files (FileIO.swift): the core count, a
/// monotonic clock and threads. Every call is POSIX but for moving a thread off a core, a GNU extension
/// reached through CC1DKernels (`cores.c`, where `_GNU_SOURCE` can be defined); the branches only paper over
/// how each C library spells its types, so that macOS and Linux on any architecture build the same code.
enum Platform {
  /// Online cores, at least 1.
  static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  static func monotonicNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
  }

  /// Lets another thread waiting for this core run.
  static func yieldCore() { sched_yield() }

  /// The core the calling thread runs on, where the OS says (Linux).
  static func currentCore() -> Int? {
    let core = c1d_current_core()
    return core >= 0 ? Int(core) : nil
  }

  /// Moves the calling thread off `core` now, then allows it every core it had again: Linux tends to start
  /// a thread on its creator's core, where it waits for the load balancer (milliseconds) while another core
  /// idles. Does nothing where `core` is the only one allowed, or off Linux.
  /// - Returns: the core the thread ran on while `core` was excluded, or nil where it did not move.
  @discardableResult
  static func moveOff(core: Int) -> Int? {
    let movedTo = c1d_move_off_core(Int32(clamping: core))
    return movedTo >= 0 ? Int(movedTo) : nil
  }

  /// Starts a detached thread running `body` for the life of the process.
  /// - Returns: whether the thread started.
  static func startDetachedThread(_ body: @escaping () -> Void) -> Bool {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    #if canImport(Glibc)
      var thread = pthread_t()
    #else
      var thread: pthread_t?  // a pointer type on Darwin and Musl
    #endif
    // Darwin passes the argument as non-optional; `runThreadBody` takes either.
    let created = pthread_create(&thread, nil, { raw in Platform.runThreadBody(raw) }, context)
    guard created == 0 else {
      Unmanaged<ThreadBody>.fromOpaque(context).release()
      return false
    }
    #if canImport(Glibc)
      pthread_detach(thread)
    #else
      pthread_detach(thread!)
    #endif
    return true
  }

  private static func runThreadBody(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
    return nil
  }

  private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }
}

/// A value behind a pthread mutex. Synchronization's `Mutex` takes a contended lock inside the kernel (a
/// priority-inheriting futex) on Linux, where ThreadSanitizer cannot see it and reports the accesses it
/// protects as races; pthread's mutex it intercepts.
final class Locked<Value>: @unchecked Sendable {  // `value` is only touched with `mutex` held
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private var value: Value

  init(_ value: Value) {
    self.value = value
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body(&value)
  }
}

/// A mutex with one condition variable, for threads that sleep until another wakes them.
final class SleepLock: @unchecked Sendable {  // the pthread objects are made for sharing between threads
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  func lock() { pthread_mutex_lock(mutex) }
  func unlock() { pthread_mutex_unlock(mutex) }
  /// Unlocks, sleeps until a `wakeAll`, and locks again; may also return spuriously.
  func wait() { pthread_cond_wait(condition, mutex) }
  func wakeAll() { pthread_cond_broadcast(condition) }
}
