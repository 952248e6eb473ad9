import CBLAS
import Foundation

/// Measures this machine's OpenBLAS sgemm rate, for reporting how close the
/// encoder gets to it (row-major, B transposed, as the encoder calls it).
public enum SgemmProbe {
    /// GFLOP/s of c[m, n] = a[m, k] · b[n, k]ᵀ over about `seconds`, with `threads` BLAS threads.
    /// Restores the encoder's setting (one BLAS thread) afterwards.
    public static func gflops(m: Int, n: Int, k: Int, threads: Int, seconds: Double = 1) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        for i in 0..<m * k { a[i] = Float(i % 13) * 0.01 }
        for i in 0..<n * k { b[i] = Float(i % 7) * 0.01 }
        openblas_set_num_threads(Int32(threads))
        defer { MiniLMEncoder.configureBLAS() }
        func call() {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                1, a, Int32(k), b, Int32(k), 0, c, Int32(n))
        }
        call()
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            call()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return 2 * Double(m) * Double(n) * Double(k) * Double(calls) / elapsed / 1e9
    }
}

extension MiniLMEncoder {
    /// Floating-point operations of one forward pass over a text of `tokens` tokens
    /// (multiply-adds count 2; GEMMs and attention only, element-wise ops left out).
    public func flops(tokens L: Int) -> Double {
        let C = Double(config.hidden)
        let F = Double(config.intermediate)
        let T = Double(L)
        let perLayer = 2 * T * C * (3 * C) + 2 * T * T * C * 2 + 2 * T * C * C + 2 * T * C * F * 2
        return perLayer * Double(config.layers)
    }
}
