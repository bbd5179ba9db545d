import C1DFuzzTargets

#if canImport(Glibc)
  import Glibc
#endif

/// Which target a run exercises: C1D_FUZZ_TARGET = loader (default), input, interpreter or audio.
let fuzzTarget: String = {
  guard let value = getenv("C1D_FUZZ_TARGET") else { return "loader" }
  return String(cString: value)
}()

#if FUZZING
  /// One libFuzzer execution (build with -sanitize=fuzzer; see tools/fuzz.sh).
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTargets.run(fuzzTarget, bytes)
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
  ) -> Int32

  /// SwiftPM links an executable through `<module>_main`; hand control to libFuzzer's driver, so that
  /// libFuzzer's own `main` is not needed.
  @_cdecl("C1DFuzz_main")
  public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
  }
#else
  /// Without libFuzzer: replays each file given on the command line through the target.
  @main
  struct Replay {
    static func main() {
      for path in CommandLine.arguments.dropFirst() {
        guard let file = fopen(path, "rb") else { continue }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
          let count = fread(&buffer, 1, buffer.count, file)
          if count <= 0 { break }
          bytes += buffer[0..<count]
        }
        fclose(file)
        FuzzTargets.run(fuzzTarget, bytes)
      }
      print("replayed \(CommandLine.arguments.count - 1) inputs through the \(fuzzTarget) target")
    }
  }
#endif
