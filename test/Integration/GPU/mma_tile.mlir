// A warp-level tensor-core GEMM tile, C = A * B, the building block of the
// tensor-core attention kernel: ldmatrix from shared memory feeds
// mma.sync.m16n8k16 (bf16 x bf16 -> f32). scripts/device/check_mma.py
// launches it on a GPU and checks it against float64.
//
// Data layout. A is MxK, B is KxN (both bf16, dense row-major), C is MxN f32
// row-major; M, N and K are multiples of 64 given at run time by the memref
// sizes. B is K-major like the V operand of attention's P*V, so its
// fragments are loaded with ldmatrix.trans.
//
// Work split. One CTA (128 threads = 4 warps) computes a 64x64 tile of C at
// (m0, n0) = (64 * block_id.y, 64 * block_id.x). Warp w owns the 32x32
// sub-tile at (wm, wn) = (32 * (w / 2), 32 * (w % 2)): 2 (m16) x 4 (n8) mma
// tiles, whose accumulators %acc<i><j> (i = m16 block, j = n8 block) are
// vector<4xf32> registers.
//
// Shared memory (static workgroup attributions, 16-byte aligned, 9728 B):
//   As: 64x40 bf16 = the 64x32 A slice of the current K step, rows padded
//       by 8 elements (16 B) so that the 8 row addresses of each ldmatrix
//       phase fall in distinct bank groups (row pitch 80 B);
//   Bs: 32x72 bf16 = the 32x64 B slice, padded the same way (pitch 144 B).
// Global -> shared: each thread moves 16-byte vectors (8 x bf16): A rows
// tid/4 and tid/4+32 at column 8*(tid%4); B rows tid/8 and tid/8+16 at
// column 8*(tid%8). Loads are coalesced along rows.
//
// Fragments (PTX ISA, mma.m16n8k16 with .bf16; lane = 4*g + q):
//   A (16x16, row):  reg r of vector<4x2xbf16> holds A[g + 8*(r%2)]
//                    [2q + 8*(r/2) + {0,1}];
//                    ldmatrix.x4 with lane l addressing row l%16, column
//                    8*(l/16) of the 16x16 block gives exactly this order.
//   B (16x8, col):   reg r (r = 0,1) holds B[2q + 8r + {0,1}][g];
//                    ldmatrix.x4.trans with lane l addressing K row l%16,
//                    column 8*(l/16) of a 16(k)x16(n) block returns regs
//                    0,1 = the n8 block at +0 and regs 2,3 = the one at +8.
//   C (16x8, f32):   vector<4xf32> = C[g][2q + {0,1}], C[g+8][2q + {0,1}].
//
// Loop structure (K in steps of 32, one shared buffer, register prefetch):
//   stage K slice 0 in shared memory; barrier
//   for k0 = 0 to K step 32:
//     load the K slice at min(k0+32, K-32) into registers (global loads in
//       flight during the math; the last step harmlessly reloads its slice)
//     for kk in {0, 16}: 2 ldmatrix (A) + 2 ldmatrix.trans (B), 8 mma.sync
//     barrier; store the prefetched slice to shared memory; barrier
//   store the accumulators to C (8-byte stores of f32 pairs).
//
// mma.sync with bf16 operands is emitted as nvvm.mma.sync (@mma_bf16 below):
// nvgpu.mma.sync lowers only f16/tf32/i8/i4/f64 operands in MLIR 22.
//
// RUN: rm -rf %t && celeris-compile %s -o %t/sm80 --chip=sm_80 --format=isa | FileCheck %s --check-prefix=DRIVER80
// RUN: FileCheck %s --check-prefix=PTX < %t/sm80/kernels.ptx
// RUN: celeris-compile %s -o %t/sm90a --format=isa | FileCheck %s --check-prefix=DRIVER90
// RUN: FileCheck %s --check-prefixes=PTX,PTX90 < %t/sm90a/kernels.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/sm90a/manifest.txt
// (mma_tile_ptxas.test assembles the sm_90a PTX and checks for spills.)

// DRIVER80: wrote 1 kernel(s) for sm_80
// DRIVER90: wrote 1 kernel(s) for sm_90a
// MANIFEST:      kernel mma_tile
// MANIFEST-NEXT:   binary kernels.ptx
// MANIFEST-NEXT:   symbol mma_tile
// MANIFEST-NEXT:   grid ceildiv(N,64) ceildiv(M,64) 1
// MANIFEST-NEXT:   block 128 1 1
// MANIFEST-NEXT:   shared 0
// MANIFEST-NEXT:   arg memref<2:bf16> A{{$}}
// MANIFEST-NEXT:   arg memref<2:bf16> B{{$}}
// MANIFEST-NEXT:   arg memref<2:f32> C{{$}}
// MANIFEST-NEXT: end
// PTX90: .target sm_90a
// PTX-NOT: .func
// PTX: .visible .entry mma_tile(
// PTX-DAG: .shared .align 16 .b8 {{.*}}[5120];
// PTX-DAG: .shared .align 16 .b8 {{.*}}[4608];
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: st.shared.v4.b32
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: st.global.v2.b32
// PTX-NOT: ld.local
// PTX-NOT: st.local

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // D = A * B + C for one m16n8k16 tile: A as returned by ldmatrix.x4,
    // B as its two k-halves (one 32-bit register of 2 x bf16 each), C/D in
    // the accumulator order above. Internal, so it is inlined and dropped.
    func.func private @mma_bf16(%a: vector<4x2xbf16>, %b_lo: vector<2xbf16>,
                                %b_hi: vector<2xbf16>, %c: vector<4xf32>)
        -> vector<4xf32> attributes {llvm.linkage = #llvm.linkage<internal>} {
      %a0v = vector.extract %a[0] : vector<2xbf16> from vector<4x2xbf16>
      %a1v = vector.extract %a[1] : vector<2xbf16> from vector<4x2xbf16>
      %a2v = vector.extract %a[2] : vector<2xbf16> from vector<4x2xbf16>
      %a3v = vector.extract %a[3] : vector<2xbf16> from vector<4x2xbf16>
      %a0 = llvm.bitcast %a0v : vector<2xbf16> to i32
      %a1 = llvm.bitcast %a1v : vector<2xbf16> to i32
      %a2 = llvm.bitcast %a2v : vector<2xbf16> to i32
      %a3 = llvm.bitcast %a3v : vector<2xbf16> to i32
      %b0 = llvm.bitcast %b_lo : vector<2xbf16> to i32
      %b1 = llvm.bitcast %b_hi : vector<2xbf16> to i32
      %c0 = vector.extract %c[0] : f32 from vector<4xf32>
      %c1 = vector.extract %c[1] : f32 from vector<4xf32>
      %c2 = vector.extract %c[2] : f32 from vector<4xf32>
      %c3 = vector.extract %c[3] : f32 from vector<4xf32>
      %d = nvvm.mma.sync A[%a0, %a1, %a2, %a3] B[%b0, %b1] C[%c0, %c1, %c2, %c3]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<bf16>,
         multiplicandBPtxType = #nvvm.mma_type<bf16>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %d0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
      %d1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32)>
      %d2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32)>
      %d3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32)>
      %r = vector.from_elements %d0, %d1, %d2, %d3 : vector<4xf32>
      return %r : vector<4xf32>
    }

    gpu.func @mma_tile(%A: memref<?x?xbf16>, %B: memref<?x?xbf16>, %C: memref<?x?xf32>)
        workgroup(%As : memref<64x40xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64},
                  %Bs : memref<32x72xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
        kernel attributes {
          celeris.launch = {grid = ["ceildiv(N,64)", "ceildiv(M,64)", "1"],
                            block = array<i32: 128, 1, 1>, shared = "0"},
          celeris.arg_names = ["A", "B", "C"]} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %c32 = arith.constant 32 : index
      %c64 = arith.constant 64 : index
      %zero = arith.constant dense<0.0> : vector<4xf32>

      %tid = gpu.thread_id x
      %bn = gpu.block_id x
      %bm = gpu.block_id y
      %K = memref.dim %A, %c1 : memref<?x?xbf16>
      %m0 = arith.muli %bm, %c64 : index
      %n0 = arith.muli %bn, %c64 : index

      // This warp's 32x32 sub-tile of the CTA tile.
      %warp = arith.divui %tid, %c32 : index
      %lane = arith.remui %tid, %c32 : index
      %wmi = arith.divui %warp, %c2 : index
      %wni = arith.remui %warp, %c2 : index
      %wm = arith.muli %wmi, %c32 : index
      %wn = arith.muli %wni, %c32 : index

      // Global -> shared copy coordinates (in the 64x32 / 32x64 slices).
      %ar = arith.divui %tid, %c4 : index
      %aq = arith.remui %tid, %c4 : index
      %ac = arith.muli %aq, %c8 : index
      %ar2 = arith.addi %ar, %c32 : index
      %br = arith.divui %tid, %c8 : index
      %bq = arith.remui %tid, %c8 : index
      %bc = arith.muli %bq, %c8 : index
      %br2 = arith.addi %br, %c16 : index
      %gar = arith.addi %m0, %ar : index
      %gar2 = arith.addi %m0, %ar2 : index
      %gbc = arith.addi %n0, %bc : index

      // ldmatrix row addresses: lane l points at row l%16, column 8*(l/16).
      %lrow = arith.remui %lane, %c16 : index
      %lhalf = arith.divui %lane, %c16 : index
      %lcol = arith.muli %lhalf, %c8 : index
      %arow0 = arith.addi %wm, %lrow : index
      %arow1 = arith.addi %arow0, %c16 : index
      %bcol0 = arith.addi %wn, %lcol : index
      %bcol1 = arith.addi %bcol0, %c16 : index

      // Prologue: stage the K slice at 0.
      %pa0 = vector.load %A[%gar, %ac] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
      %pa1 = vector.load %A[%gar2, %ac] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
      %pb0 = vector.load %B[%br, %gbc] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
      %pb1 = vector.load %B[%br2, %gbc] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
      vector.store %pa0, %As[%ar, %ac] {alignment = 16} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      vector.store %pa1, %As[%ar2, %ac] {alignment = 16} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      vector.store %pb0, %Bs[%br, %bc] {alignment = 16} : memref<32x72xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      vector.store %pb1, %Bs[%br2, %bc] {alignment = 16} : memref<32x72xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
      gpu.barrier

      %klast = arith.subi %K, %c32 : index
      %acc:8 = scf.for %k0 = %c0 to %K step %c32
          iter_args(%o00 = %zero, %o01 = %zero, %o02 = %zero, %o03 = %zero,
                    %o10 = %zero, %o11 = %zero, %o12 = %zero, %o13 = %zero)
          -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>,
              vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
        // Prefetch the next K slice into registers.
        %kstep = arith.addi %k0, %c32 : index
        %kn = arith.minui %kstep, %klast : index
        %gac = arith.addi %kn, %ac : index
        %gbr = arith.addi %kn, %br : index
        %gbr2 = arith.addi %kn, %br2 : index
        %na0 = vector.load %A[%gar, %gac] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
        %na1 = vector.load %A[%gar2, %gac] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
        %nb0 = vector.load %B[%gbr, %gbc] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>
        %nb1 = vector.load %B[%gbr2, %gbc] {alignment = 16} : memref<?x?xbf16>, vector<8xbf16>

        // Two k16 steps on the staged slice.
        %in:8 = scf.for %kk = %c0 to %c32 step %c16
            iter_args(%i00 = %o00, %i01 = %o01, %i02 = %o02, %i03 = %o03,
                      %i10 = %o10, %i11 = %o11, %i12 = %o12, %i13 = %o13)
            -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>,
                vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
          // A fragments of the two m16 blocks (rows wm+0.., wm+16..).
          %acol = arith.addi %kk, %lcol : index
          %fa0 = nvgpu.ldmatrix %As[%arow0, %acol] {numTiles = 4 : i32, transpose = false}
              : memref<64x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
          %fa1 = nvgpu.ldmatrix %As[%arow1, %acol] {numTiles = 4 : i32, transpose = false}
              : memref<64x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
          // B fragments: each transposed x4 load covers two n8 blocks.
          %brow = arith.addi %kk, %lrow : index
          %fb01 = nvgpu.ldmatrix %Bs[%brow, %bcol0] {numTiles = 4 : i32, transpose = true}
              : memref<32x72xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
          %fb23 = nvgpu.ldmatrix %Bs[%brow, %bcol1] {numTiles = 4 : i32, transpose = true}
              : memref<32x72xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
          %b0lo = vector.extract %fb01[0] : vector<2xbf16> from vector<4x2xbf16>
          %b0hi = vector.extract %fb01[1] : vector<2xbf16> from vector<4x2xbf16>
          %b1lo = vector.extract %fb01[2] : vector<2xbf16> from vector<4x2xbf16>
          %b1hi = vector.extract %fb01[3] : vector<2xbf16> from vector<4x2xbf16>
          %b2lo = vector.extract %fb23[0] : vector<2xbf16> from vector<4x2xbf16>
          %b2hi = vector.extract %fb23[1] : vector<2xbf16> from vector<4x2xbf16>
          %b3lo = vector.extract %fb23[2] : vector<2xbf16> from vector<4x2xbf16>
          %b3hi = vector.extract %fb23[3] : vector<2xbf16> from vector<4x2xbf16>
          %d00 = func.call @mma_bf16(%fa0, %b0lo, %b0hi, %i00) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d01 = func.call @mma_bf16(%fa0, %b1lo, %b1hi, %i01) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d02 = func.call @mma_bf16(%fa0, %b2lo, %b2hi, %i02) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d03 = func.call @mma_bf16(%fa0, %b3lo, %b3hi, %i03) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d10 = func.call @mma_bf16(%fa1, %b0lo, %b0hi, %i10) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d11 = func.call @mma_bf16(%fa1, %b1lo, %b1hi, %i11) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d12 = func.call @mma_bf16(%fa1, %b2lo, %b2hi, %i12) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          %d13 = func.call @mma_bf16(%fa1, %b3lo, %b3hi, %i13) : (vector<4x2xbf16>, vector<2xbf16>, vector<2xbf16>, vector<4xf32>) -> vector<4xf32>
          scf.yield %d00, %d01, %d02, %d03, %d10, %d11, %d12, %d13
              : vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>,
                vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>
        }

        // Every warp is done with the slice: replace it with the next one.
        gpu.barrier
        vector.store %na0, %As[%ar, %ac] {alignment = 16} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
        vector.store %na1, %As[%ar2, %ac] {alignment = 16} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
        vector.store %nb0, %Bs[%br, %bc] {alignment = 16} : memref<32x72xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
        vector.store %nb1, %Bs[%br2, %bc] {alignment = 16} : memref<32x72xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
        gpu.barrier
        scf.yield %in#0, %in#1, %in#2, %in#3, %in#4, %in#5, %in#6, %in#7
            : vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>,
              vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>
      }

      // Epilogue: lane 4g+q holds C[g][2q..2q+1] and C[g+8][2q..2q+1] of
      // each m16n8 tile.
      %g = arith.divui %lane, %c4 : index
      %q = arith.remui %lane, %c4 : index
      %q2 = arith.muli %q, %c2 : index
      %mw = arith.addi %m0, %wm : index
      %row0 = arith.addi %mw, %g : index
      %row0h = arith.addi %row0, %c8 : index
      %row1 = arith.addi %row0, %c16 : index
      %row1h = arith.addi %row1, %c8 : index
      %nw = arith.addi %n0, %wn : index
      %col0 = arith.addi %nw, %q2 : index
      %col1 = arith.addi %col0, %c8 : index
      %col2 = arith.addi %col0, %c16 : index
      %col3 = arith.addi %col1, %c16 : index
      %e00 = vector.shuffle %acc#0, %acc#0 [0, 1] : vector<4xf32>, vector<4xf32>
      %f00 = vector.shuffle %acc#0, %acc#0 [2, 3] : vector<4xf32>, vector<4xf32>
      %e01 = vector.shuffle %acc#1, %acc#1 [0, 1] : vector<4xf32>, vector<4xf32>
      %f01 = vector.shuffle %acc#1, %acc#1 [2, 3] : vector<4xf32>, vector<4xf32>
      %e02 = vector.shuffle %acc#2, %acc#2 [0, 1] : vector<4xf32>, vector<4xf32>
      %f02 = vector.shuffle %acc#2, %acc#2 [2, 3] : vector<4xf32>, vector<4xf32>
      %e03 = vector.shuffle %acc#3, %acc#3 [0, 1] : vector<4xf32>, vector<4xf32>
      %f03 = vector.shuffle %acc#3, %acc#3 [2, 3] : vector<4xf32>, vector<4xf32>
      %e10 = vector.shuffle %acc#4, %acc#4 [0, 1] : vector<4xf32>, vector<4xf32>
      %f10 = vector.shuffle %acc#4, %acc#4 [2, 3] : vector<4xf32>, vector<4xf32>
      %e11 = vector.shuffle %acc#5, %acc#5 [0, 1] : vector<4xf32>, vector<4xf32>
      %f11 = vector.shuffle %acc#5, %acc#5 [2, 3] : vector<4xf32>, vector<4xf32>
      %e12 = vector.shuffle %acc#6, %acc#6 [0, 1] : vector<4xf32>, vector<4xf32>
      %f12 = vector.shuffle %acc#6, %acc#6 [2, 3] : vector<4xf32>, vector<4xf32>
      %e13 = vector.shuffle %acc#7, %acc#7 [0, 1] : vector<4xf32>, vector<4xf32>
      %f13 = vector.shuffle %acc#7, %acc#7 [2, 3] : vector<4xf32>, vector<4xf32>
      vector.store %e00, %C[%row0, %col0] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f00, %C[%row0h, %col0] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e01, %C[%row0, %col1] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f01, %C[%row0h, %col1] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e02, %C[%row0, %col2] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f02, %C[%row0h, %col2] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e03, %C[%row0, %col3] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f03, %C[%row0h, %col3] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e10, %C[%row1, %col0] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f10, %C[%row1h, %col0] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e11, %C[%row1, %col1] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f11, %C[%row1h, %col1] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e12, %C[%row1, %col2] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f12, %C[%row1h, %col2] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %e13, %C[%row1, %col3] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      vector.store %f13, %C[%row1h, %col3] {alignment = 8} : memref<?x?xf32>, vector<2xf32>
      gpu.return
    }
  }
}
