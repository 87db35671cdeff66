import CShim
import EdgeCore

// Prints, for each number given on the command line: the text, the bits of the parsed double
// (hex), and what JSONWriter writes for that double. Used to compare the firmware's number
// conversion (soft-float armv7, aarch64) with Python.
@_cdecl("main")
func probeMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
    for i in 1..<Int(argc) {
        guard let arg = argv[i] else { continue }
        let text = String(cString: arg)
        let bytes = Array(text.utf8)
        let line: String = bytes.withUnsafeBytes { input in
            var reader = JSONReader(input)
            do throws(JSONError) {
                let t = try reader.next()
                let d = try reader.double(t)
                var w = JSONWriter(buffer: out)
                do throws(JSONWriterError) { try w.value(d) } catch { return text + " writer-error" }
                return text + " " + Hex.string(d.bitPattern, width: 16) + " " + String(decoding: w.bytes, as: UTF8.self)
            } catch {
                return text + " error " + error.description
            }
        }
        StandardOutput.line(line)
    }
    return 0
}
