/*
 * The engine's inner loops, in C: the optional accelerator of riskmodel/sim/kernels/,
 * which loads it with ctypes, documents each function and checks every array it passes
 * (type, order, size). kernels/_numpy.py does the same work in NumPy and gives the same
 * numbers bit for bit (tests/sim/test_backends.py); a change here must be made there too.
 *
 * Arrays are C-ordered; "rows x n" means row r starts at r * n. Each loop works on one
 * row (an input or a workstream) at a time so that its data stays in cache.
 * Floating point follows IEEE double without contraction (-ffp-contract=off; MSVC on x64
 * does not contract), so the loops' own arithmetic matches NumPy's and is the same
 * whichever instruction set runs it. The only library functions are sqrt (exact in
 * IEEE), log and erfc: the NumPy backend takes those from the same C library, through
 * Python's math.log and math.erfc, not from NumPy's own SIMD versions (which can differ
 * in the last bit).
 */
#define _USE_MATH_DEFINES /* M_SQRT2 on MSVC: before any include (Python.h includes math.h) */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every function Python calls is defined as "[MULTIVERSION] EXPORT type name(params)",
 * its parameters written out (no macros); tests/sim/test_kernels.py reads those
 * prototypes and checks that the ctypes binding (riskmodel/sim/kernels/_signatures.py)
 * names the same C types in the same order. RESTRICT is C99's restrict (MSVC: __restrict). */
#if defined(_MSC_VER)
#define EXPORT __declspec(dllexport)
#define RESTRICT __restrict
#else
#define EXPORT
#define RESTRICT restrict
#endif

/* The hot loops are also built for AVX2 and AVX-512 where the compiler can, and the best
 * one is picked when the library loads; without contraction the results are the same. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) /* needs ifunc */
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ALWAYS_INLINE __forceinline
#else
#define ALWAYS_INLINE inline
#endif

/* What the loops compute, as riskmodel/sim/kernels/_signatures.py expects it (VERSION):
 * raised whenever a loop's numbers change, so that a stale build is not used. 2: the Latin
 * hypercube's strata in the order of sorted keys (1, riskmodel up to 0.2.0: Fisher-Yates);
 * 3: typed links (FS, SS, FF, SF) in the network's passes; 4: levelling; 5: the risks
 * switched off re-scheduled in place (reschedule_cols; labour_cols until 6), the
 * Iman-Conover reordering (rank_reorder_rows); 6: no labour_cols (a risk's labour is
 * the change in what it hits); 7: fte_by_week (the FTE in use each week); 8: the copula's
 * normal scores without the CDF (gaussian_copula's uniform), rank_reorder_rows' normal. */
#define KERNELS_VERSION 8

EXPORT int kernels_version(void) { return KERNELS_VERSION; }

/* scratch space for count items of size bytes (at least one, so that NULL means failure) */
static void *scratch(int64_t count, size_t size)
{
    return malloc(size * (size_t)(count > 0 ? count : 1));
}

/* ---- random numbers: Philox4x32-10 (Salmon et al., SC11; Random123) ------------------ */

#define PHILOX_M0 UINT64_C(0xD2511F53)
#define PHILOX_M1 UINT64_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)

/* One round on the counter words c0..c3 (variables of type WORD holding 32-bit values)
 * under the round key (k0, k1). */
#define LOW32 UINT64_C(0xFFFFFFFF)
#define PHILOX_ROUND(WORD, k0, k1)                                                       \
    do {                                                                                 \
        uint64_t p0_ = PHILOX_M0 * (uint64_t)c0, p1_ = PHILOX_M1 * (uint64_t)c2;          \
        WORD n0_ = (WORD)(((p1_ >> 32) ^ c1 ^ (k0)) & LOW32);                              \
        WORD n2_ = (WORD)(((p0_ >> 32) ^ c3 ^ (k1)) & LOW32);                              \
        c1 = (WORD)(p1_ & LOW32);                                                        \
        c3 = (WORD)(p0_ & LOW32);                                                        \
        c0 = n0_;                                                                        \
        c2 = n2_;                                                                        \
    } while (0)

/* ten rounds, the key bumped by the Weyl constants before each round after the first;
 * written out so that a loop over counters vectorises */
#define PHILOX_BUMP(WORD) (a_ = (WORD)((a_ + PHILOX_W0) & LOW32), \
                           b_ = (WORD)((b_ + PHILOX_W1) & LOW32))
#define PHILOX_10(WORD, k0, k1)                                                          \
    do {                                                                                 \
        WORD a_ = (k0), b_ = (k1);                                                       \
        PHILOX_ROUND(WORD, a_, b_);                                                      \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
        PHILOX_BUMP(WORD); PHILOX_ROUND(WORD, a_, b_);                                   \
    } while (0)

EXPORT void philox4x32_10(const uint32_t *counter, const uint32_t *key, uint32_t *out)
{
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    PHILOX_10(uint32_t, key[0], key[1]);
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* a double in [0, 1) from the top 53 of 64 bits: (hi 2^21 + lo / 2^11) / 2^53, built from
 * int32 conversions (exact) because those vectorise on every x86-64 */
static inline double unit(uint32_t hi, uint32_t lo)
{
    double high = (double)(int32_t)(hi ^ 0x80000000u) + 2147483648.0;
    return (high * 2097152.0 + (double)(int32_t)(lo >> 11)) * (1.0 / 9007199254740992.0);
}

/* bits needed for n - 1 (0 for n <= 1) */
static int index_bits(int64_t n)
{
    int b = 0;
    while (b < 62 && ((int64_t)1 << b) < n)
        b++;
    return b;
}

/* up to 2^LATIN_SMALL keys the sort moves 32-bit items and counts in 16 bits */
#define LATIN_SMALL 14

/* Latin hypercube: out holds n jitters and becomes the sample, iteration i in stratum
 * perm[i], the index of the i-th smallest key. key[i] is iteration i's second 64-bit word
 * with its low b bits (b = bits of n - 1) replaced by i, so the keys are distinct and the
 * order is a total one: perm = np.sort(key) & (2^b - 1), whatever sort does it (the NumPy
 * backend does exactly that). Here a counting pass on the top b bits puts every key in its
 * bucket (2^b of them, about one key each); three rounds of odd-even transposition, which
 * vectorise, sort every bucket of up to three keys; an insertion sort finishes the rest,
 * mostly one comparison a key with the last one kept in a register (the insertion sort
 * alone mispredicted a branch for every bucket out of order). For n <= 2^LATIN_SMALL the
 * items sorted are 32 bits, the key's top 32 - b bits then its index, with 16-bit counts:
 * half the memory and twice the vector lanes. Those items are in the keys' order unless
 * their top bits tie (about 2^(2b - 33) of neighbours), when the insertion sort compares
 * the keys themselves. 2.8 instead of 4.7 ns a key at n = 8192 with AVX-512 or AVX2, 3.1
 * instead of 4.6 without (2026-12-01, this machine).
 * (Kernels version 1, riskmodel up to 0.2.0, shuffled the strata by inside-out
 * Fisher-Yates.) */
#define LATIN_ROUNDS(ITEM, a)                                                            \
    for (int r_ = 0; r_ < 3; r_++)                                                       \
        for (int64_t i_ = r_ & 1; i_ + 1 < n; i_ += 2) {                                 \
            ITEM p_ = a[i_], q_ = a[i_ + 1];                                             \
            a[i_] = p_ < q_ ? p_ : q_;                                                   \
            a[i_ + 1] = p_ < q_ ? q_ : p_;                                               \
        }
static ALWAYS_INLINE void latin_strata(const uint64_t *key, uint64_t *sorted, int32_t *count,
                                       int64_t n, int b, double *out)
{
    int64_t buckets = (int64_t)1 << b;
    int shift = 64 - b;
    double scale = 1.0 / (double)n;
#define BUCKET(k) (b ? (int64_t)((k) >> shift) : 0)
    if (b <= LATIN_SMALL) {
        uint16_t *start = (uint16_t *)count;
        uint16_t sum = 0;
        uint32_t *item = (uint32_t *)sorted;
        uint32_t mask = ((uint32_t)1 << b) - 1;
        memset(start, 0, sizeof(uint16_t) * (size_t)buckets);
        for (int64_t i = 0; i < n; i++)
            start[BUCKET(key[i])]++;
        for (int64_t k = 0; k < buckets; k++) {
            uint16_t c = start[k];
            start[k] = sum;
            sum = (uint16_t)(sum + c);
        }
        for (int64_t i = 0; i < n; i++)
            item[start[BUCKET(key[i])]++] = ((uint32_t)(key[i] >> 32) & ~mask) | (uint32_t)i;
        LATIN_ROUNDS(uint32_t, item)
        /* in order for sure if the top bits are larger; else by the keys when they tie */
#define BEFORE(p, q) (((p) ^ (q)) > mask ? (p) < (q) : key[(p) & mask] < key[(q) & mask])
        uint32_t last = n ? item[0] : 0;
        for (int64_t i = 1; i < n; i++) {
            uint32_t x = item[i];
            if ((x >> b) > (last >> b)) {
                last = x;
                continue;
            }
            int64_t j = i;
            for (; j > 0 && BEFORE(x, item[j - 1]); j--)
                item[j] = item[j - 1];
            item[j] = x;
            last = item[i];
        }
#undef BEFORE
        for (int64_t i = 0; i < n; i++)
            out[i] = ((double)(int32_t)(item[i] & mask) + out[i]) * scale;
        return;
    }
    uint64_t mask = ((uint64_t)1 << b) - 1;
    int32_t sum = 0;
    memset(count, 0, sizeof(int32_t) * (size_t)buckets);
    for (int64_t i = 0; i < n; i++)
        count[BUCKET(key[i])]++;
    for (int64_t k = 0; k < buckets; k++) {
        int32_t c = count[k];
        count[k] = sum;
        sum += c;
    }
    for (int64_t i = 0; i < n; i++)
        sorted[count[BUCKET(key[i])]++] = key[i];
#undef BUCKET
    LATIN_ROUNDS(uint64_t, sorted)
    uint64_t last = sorted[0];
    for (int64_t i = 1; i < n; i++) {
        uint64_t x = sorted[i];
        if (x > last) {
            last = x;
            continue;
        }
        int64_t j = i;
        for (; j > 0 && sorted[j - 1] > x; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = x;
        last = sorted[i];
    }
    for (int64_t i = 0; i < n; i++)
        out[i] = ((double)(int64_t)(sorted[i] & mask) + out[i]) * scale;
}
#undef LATIN_ROUNDS

/* Row of uniforms from counters (i, b0, b1, 0) under key (k0, k1), from iteration first
 * on: the first 53-bit uniform of each counter in row; the second 64-bit word, its low
 * bits replaced by i, in key. */
static ALWAYS_INLINE void philox_row(uint32_t k0, uint32_t k1, uint32_t b0, uint32_t b1,
                                     int64_t first, int64_t n, uint64_t low, double *row,
                                     uint64_t *key)
{
    for (int64_t i = first; i < n; i++) {
        uint32_t c0 = (uint32_t)i, c1 = b0, c2 = b1, c3 = 0;
        PHILOX_10(uint32_t, k0, k1);
        row[i] = unit(c0, c1);
        key[i] = ((((uint64_t)c2 << 32) | c3) & ~low) | (uint64_t)i;
    }
}

/* philox_row in explicit vector instructions, for the x86-64 builds: the compiler
 * vectorises philox_row, but multiplies 64-bit lanes in full (three multiplies and six
 * shifts and adds a product: GCC 12 cannot see that their high halves are zero) or repacks
 * 32-bit lanes, where one vpmuludq gives the 32 x 32 -> 64-bit products. Eight counters
 * (AVX-512) or four (AVX2) at a time in 64-bit lanes, the same numbers; they return where
 * philox_row is to go on from (the last few counters). 2.4 instead of 4.2 ns a uniform
 * with AVX-512, 3.5 instead of 6.8 with AVX2 (2026-12-01, this machine). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>

#define PHILOX_VECTOR_ROUNDS(MUL, XOR, AND, SRLI, SET1)                                    \
    do {                                                                                 \
        uint32_t a_ = k0, b_ = k1;                                                       \
        for (int r_ = 0; r_ < 10; r_++) {                                                \
            if (r_) {                                                                    \
                a_ += PHILOX_W0;                                                         \
                b_ += PHILOX_W1;                                                         \
            }                                                                            \
            vec p0_ = MUL(c0, m0), p1_ = MUL(c2, m1);                                    \
            vec n0_ = XOR(XOR(SRLI(p1_, 32), c1), SET1((long long)a_));                 \
            vec n2_ = XOR(XOR(SRLI(p0_, 32), c3), SET1((long long)b_));                 \
            c1 = AND(p1_, lo32);                                                         \
            c3 = AND(p0_, lo32);                                                         \
            c0 = n0_;                                                                    \
            c2 = n2_;                                                                    \
        }                                                                                \
    } while (0)

__attribute__((target("avx512f"))) static int64_t
philox_row_avx512(uint32_t k0, uint32_t k1, uint32_t b0, uint32_t b1, int64_t n, uint64_t low,
                  double *row, uint64_t *key)
{
    typedef __m512i vec;
    const vec m0 = _mm512_set1_epi64((long long)PHILOX_M0);
    const vec m1 = _mm512_set1_epi64((long long)PHILOX_M1);
    const vec lo32 = _mm512_set1_epi64((long long)LOW32);
    const vec keep = _mm512_set1_epi64((long long)~low);
    const __m512d scale_hi = _mm512_set1_pd(2097152.0);
    const __m512d scale = _mm512_set1_pd(1.0 / 9007199254740992.0);
    vec at = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vec c0 = _mm512_and_si512(at, lo32), c1 = _mm512_set1_epi64((long long)b0);
        vec c2 = _mm512_set1_epi64((long long)b1), c3 = _mm512_setzero_si512();
        PHILOX_VECTOR_ROUNDS(_mm512_mul_epu32, _mm512_xor_si512, _mm512_and_si512,
                             _mm512_srli_epi64, _mm512_set1_epi64);
        __m512d high = _mm512_cvtepu32_pd(_mm512_cvtepi64_epi32(c0));
        __m512d rest = _mm512_cvtepi32_pd(_mm512_cvtepi64_epi32(_mm512_srli_epi64(c1, 11)));
        _mm512_storeu_pd(row + i, _mm512_mul_pd(_mm512_add_pd(_mm512_mul_pd(high, scale_hi),
                                                               rest), scale));
        vec words = _mm512_or_si512(_mm512_slli_epi64(c2, 32), c3);
        _mm512_storeu_si512((void *)(key + i),
                            _mm512_or_si512(_mm512_and_si512(words, keep), at));
        at = _mm512_add_epi64(at, _mm512_set1_epi64(8));
    }
    return i;
}

__attribute__((target("avx2"))) static int64_t
philox_row_avx2(uint32_t k0, uint32_t k1, uint32_t b0, uint32_t b1, int64_t n, uint64_t low,
                double *row, uint64_t *key)
{
    typedef __m256i vec;
    const vec m0 = _mm256_set1_epi64x((long long)PHILOX_M0);
    const vec m1 = _mm256_set1_epi64x((long long)PHILOX_M1);
    const vec lo32 = _mm256_set1_epi64x((long long)LOW32);
    const vec keep = _mm256_set1_epi64x((long long)~low);
    const vec evens = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    const __m128i sign = _mm_set1_epi32((int)0x80000000u);
    const __m256d two31 = _mm256_set1_pd(2147483648.0);
    const __m256d scale_hi = _mm256_set1_pd(2097152.0);
    const __m256d scale = _mm256_set1_pd(1.0 / 9007199254740992.0);
    vec at = _mm256_setr_epi64x(0, 1, 2, 3);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vec c0 = _mm256_and_si256(at, lo32), c1 = _mm256_set1_epi64x((long long)b0);
        vec c2 = _mm256_set1_epi64x((long long)b1), c3 = _mm256_setzero_si256();
        PHILOX_VECTOR_ROUNDS(_mm256_mul_epu32, _mm256_xor_si256, _mm256_and_si256,
                             _mm256_srli_epi64, _mm256_set1_epi64x);
        /* the low words of the four lanes, as int32 (no unsigned conversion in AVX2) */
        __m128i hi32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(c0, evens));
        __m128i rest32 = _mm256_castsi256_si128(
            _mm256_permutevar8x32_epi32(_mm256_srli_epi64(c1, 11), evens));
        __m256d high = _mm256_add_pd(_mm256_cvtepi32_pd(_mm_xor_si128(hi32, sign)), two31);
        __m256d rest = _mm256_cvtepi32_pd(rest32);
        _mm256_storeu_pd(row + i, _mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(high, scale_hi),
                                                               rest), scale));
        vec words = _mm256_or_si256(_mm256_slli_epi64(c2, 32), c3);
        _mm256_storeu_si256((vec *)(key + i),
                            _mm256_or_si256(_mm256_and_si256(words, keep), at));
        at = _mm256_add_epi64(at, _mm256_set1_epi64x(4));
    }
    return i;
}
#endif

static ALWAYS_INLINE int
uniform_rows_with(const uint64_t *keys, int64_t rows, int64_t n, int64_t block, int latin,
                  double *out, int vector)
{
    int b = index_bits(n);
    int64_t m = n > 0 ? n : 1, buckets = (int64_t)1 << b;
    /* key and sorted (m each), then the bucket counts */
    uint64_t *key = scratch(2 * m + (buckets + 2) / 2, sizeof(uint64_t));
    if (!key)
        return -1;
    uint64_t *sorted = key + m, low = ((uint64_t)1 << b) - 1;
    int32_t *count = (int32_t *)(sorted + m);
    uint32_t b0 = (uint32_t)((uint64_t)block & LOW32), b1 = (uint32_t)((uint64_t)block >> 32);
    for (int64_t r = 0; r < rows; r++) {
        uint32_t k0 = (uint32_t)keys[2 * r], k1 = (uint32_t)keys[2 * r + 1];
        double *row = out + r * n;
        int64_t first = 0; /* vector: 1 AVX2, 2 AVX-512 */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
        if (vector == 2)
            first = philox_row_avx512(k0, k1, b0, b1, n, low, row, key);
        else if (vector == 1)
            first = philox_row_avx2(k0, k1, b0, b1, n, low, row, key);
#else
        (void)vector;
#endif
        philox_row(k0, k1, b0, b1, first, n, low, row, key);
        if (latin)
            latin_strata(key, sorted, count, n, b, row);
    }
    free(key);
    return 0;
}

#define UNIFORM_ARGS const uint64_t *keys, int64_t rows, int64_t n, int64_t block, int latin, \
                     double *out
#define UNIFORM_PASS keys, rows, n, block, latin, out

static int uniform_rows_base(UNIFORM_ARGS) { return uniform_rows_with(UNIFORM_PASS, 0); }

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target("avx2"))) static int uniform_rows_avx2(UNIFORM_ARGS)
{
    return uniform_rows_with(UNIFORM_PASS, 1);
}
__attribute__((target("avx512f"))) static int uniform_rows_avx512(UNIFORM_ARGS)
{
    return uniform_rows_with(UNIFORM_PASS, 2);
}
#endif

/* variant 0: the best this CPU runs; 1 plain, 2 AVX2, 3 AVX-512 (-2 if the CPU lacks it) */
EXPORT int uniform_rows_variant(int variant, const uint64_t *keys, int64_t rows, int64_t n,
                                int64_t block, int latin, double *out)
{
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
    int avx512 = __builtin_cpu_supports("avx512f"), avx2 = __builtin_cpu_supports("avx2");
    if (variant == 0)
        variant = avx512 ? 3 : avx2 ? 2 : 1;
    if (variant == 3)
        return avx512 ? uniform_rows_avx512(UNIFORM_PASS) : -2;
    if (variant == 2)
        return avx2 ? uniform_rows_avx2(UNIFORM_PASS) : -2;
#else
    if (variant > 1)
        return -2;
#endif
    return uniform_rows_base(UNIFORM_PASS);
}

/* ---- inverse CDFs -------------------------------------------------------------------- */

/* Triangular inverse CDFs: row k of u with min a[k], mode c[k], max b[k], written to row
 * dest[k] of out */
MULTIVERSION EXPORT void triangular_rows(const double *a, const double *c, const double *b,
                                         int64_t rows, int64_t n, const double *u,
                                         const int64_t *dest, double *out)
{
    for (int64_t k = 0; k < rows; k++) {
        double lo = a[k], mode = c[k], hi = b[k];
        double split = (mode - lo) / (hi - lo);
        double left_area = (hi - lo) * (mode - lo);
        double right_area = (hi - lo) * (hi - mode);
        const double *x = u + k * n;
        double *y = out + dest[k] * n;
        for (int64_t i = 0; i < n; i++) {
            if (x[i] < split)
                y[i] = lo + sqrt(x[i] * left_area);
            else
                y[i] = hi - sqrt((1.0 - x[i]) * right_area);
        }
    }
}

/* one cubic Hermite table read (Horner form), clamped to the table's range */
static inline double cubic(const double *coef, int64_t base, double x0, double inv_h,
                           int64_t last, double x)
{
    double s = (x - x0) * inv_h;
    s = s > 0.0 ? s : 0.0;
    s = s < (double)last + 1.0 ? s : (double)last + 1.0;
    int32_t cell = (int32_t)s; /* tables have far fewer than 2^31 cells */
    cell = cell < (int32_t)last ? cell : (int32_t)last;
    double t = s - (double)cell;
    int64_t at = 4 * (base + cell); /* indexed, not a pointer plus offsets: gathers */
    return coef[at] + t * (coef[at + 1] + t * (coef[at + 2] + t * coef[at + 3]));
}

EXPORT void cubic_rows(const double *coef, double x0, double inv_h, int64_t last, int64_t n,
                       const double *x, const int64_t *table, double *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = cubic(coef, table[i] * (last + 1), x0, inv_h, last, x[i]);
}

/* Reads one double in every 64 bytes (a cache line) of p[0:count], in order: brings a table
 * that is about to be read at random into the cache at the memory's streaming speed
 * instead of one miss at a time. Never inlined: inlined, GCC shares the table's address
 * with the loop that reads it at random and no longer vectorises that loop. */
#if defined(_MSC_VER)
#define NOINLINE __declspec(noinline)
#elif defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif
static NOINLINE void read_lines(const double *p, int64_t count)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0; /* four sums: four misses in flight */
    int64_t j = 0;
    for (; j + 32 <= count; j += 32) {
        s0 += p[j];
        s1 += p[j + 8];
        s2 += p[j + 16];
        s3 += p[j + 24];
    }
    for (; j < count; j += 8)
        s0 += p[j];
    volatile double sink = s0 + s1 + s2 + s3; /* so that the reads are kept */
    (void)sink;
}

/* PERT inverse CDFs from stacked tables of the standard beta, row k reading table k,
 * scaled to [lo[k], hi[k]] and written to row dest[k] of out; beyond floor the result is
 * NaN (returned: how many) */
MULTIVERSION EXPORT int64_t pert_rows(const double *RESTRICT central, const double *lower,
                                      const double *upper, const double *c_grid,
                                      const double *t_grid, double tail, double floor_,
                                      const double *lo, const double *hi, int64_t rows,
                                      int64_t n, const double *u, const int64_t *dest,
                                      double *out)
{
    int64_t c_last = (int64_t)c_grid[2], t_last = (int64_t)t_grid[2], beyond = 0;
    double c_x0 = c_grid[0], c_inv_h = c_grid[1];
    for (int64_t k = 0; k < rows; k++) {
        int64_t c_base = k * (c_last + 1), t_base = k * (t_last + 1);
        double low = lo[k], span = hi[k] - lo[k];
        const double *RESTRICT x = u + k * n;
        double *RESTRICT y = out + dest[k] * n;
        /* every point from the central table first (no branches, the grid in locals and
         * the rows restrict: this vectorises, with gathers), then the few in the tails
         * (about 2 / 256 of them) again from their own tables. With at least half as
         * many points as cells, most of the table's lines are read: read it in order
         * first (5.1 instead of 9.3 ns a value: 100 rows of 8192 points, tables of 4096
         * cells, 128 KiB, out of cache; 2026-12-01, this machine) */
        if (2 * n >= c_last + 1)
            read_lines(central + 4 * c_base, 4 * (c_last + 1));
        for (int64_t i = 0; i < n; i++)
            y[i] = low + span * cubic(central, c_base, c_x0, c_inv_h, c_last, x[i]);
        for (int64_t i = 0; i < n; i++) {
            double v = x[i], z;
            if (tail <= v && v <= 1.0 - tail)
                continue;
            if ((v < 1.0 - v ? v : 1.0 - v) < floor_) {
                z = NAN;
                beyond++;
            } else if (v < tail) {
                z = cubic(lower, t_base, t_grid[0], t_grid[1], t_last, log(v));
            } else {
                z = cubic(upper, t_base, t_grid[0], t_grid[1], t_last, log(1.0 - v));
            }
            y[i] = low + span * z;
        }
    }
    return beyond;
}

/* ---- risks ----------------------------------------------------------------------------- */

/* Working durations: base times the factors of the risks that fired, then plus their
 * delays, risks in order. Risk r is a factor (kind 1) or a delay (kind 2) on workstreams
 * node[first[r]:first[r + 1]]; fired and impact are risks x n. */
MULTIVERSION EXPORT void apply_risks(const double *base, int64_t m, int64_t n,
                                     const uint8_t *fired, const double *impact, int64_t risks,
                                     const int64_t *kind, const int64_t *first,
                                     const int64_t *node, double *out)
{
    memcpy(out, base, sizeof(double) * (size_t)(m * n));
    for (int64_t pass = 1; pass <= 2; pass++) {
        for (int64_t r = 0; r < risks; r++) {
            if (kind[r] != pass)
                continue;
            const uint8_t *RESTRICT hit = fired + r * n;
            const double *RESTRICT size = impact + r * n;
            for (int64_t q = first[r]; q < first[r + 1]; q++) {
                double *RESTRICT d = out + node[q] * n;
                /* (x 1 and + 0 leave a duration as it is; this form vectorises) */
                if (pass == 1)
                    for (int64_t i = 0; i < n; i++) {
                        double change = hit[i] != 0 ? size[i] : 1.0;
                        d[i] = d[i] * change;
                    }
                else
                    for (int64_t i = 0; i < n; i++) {
                        double change = hit[i] != 0 ? size[i] : 0.0;
                        d[i] = d[i] + change;
                    }
            }
        }
    }
}

/* ---- sums over rows, without BLAS (whose threads would compete with worker processes) -- */

/* out[i] = sum over j of w[j] * x[j, i], j in order */
MULTIVERSION EXPORT void weighted_sum(const double *w, const double *x, int64_t rows, int64_t n,
                                      double *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = 0.0;
    for (int64_t j = 0; j < rows; j++) {
        const double *row = x + j * n;
        double weight = w[j];
        for (int64_t i = 0; i < n; i++)
            out[i] += weight * row[i];
    }
}

/* ---- rank correlation: a Gaussian copula ------------------------------------------------ */

/* The standard normal quantile: Wichura's AS241 (Applied Statistics 37(3), 1988), accurate
 * to about 1e-16; coefficients as in CPython's statistics.NormalDist.inv_cdf. */
static ALWAYS_INLINE double normal_quantile_central(double q) /* for |q| <= 0.425 */
{
    double r = 0.180625 - q * q;
    double num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                       6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r +
                     1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
                   1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) * q;
    double den = ((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                       3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r +
                     5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
                   4.2313330701600911252e+1) * r + 1.0;
    return num / den;
}

static double normal_quantile(double p)
{
    double q = p - 0.5, r, num, den;
    if (fabs(q) <= 0.425)
        return normal_quantile_central(q);
    r = sqrt(-log(q <= 0.0 ? p : 1.0 - p));
    if (r <= 5.0) {
        r -= 1.6;
        num = ((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
                    2.41780725177450611770e-1) * r + 1.27045825245236838258e+0) * r +
                  3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
                4.63033784615654529590e+0) * r + 1.42343711074968357734e+0;
        den = ((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
                    1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r +
                  6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
                2.05319162663775882187e+0) * r + 1.0;
    } else {
        r -= 5.0;
        num = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                    1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r +
                  2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
                5.46378491116411436990e+0) * r + 6.65790464350110377720e+0;
        den = ((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
                    1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r +
                  1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
                5.99832206555887937690e-1) * r + 1.0;
    }
    return q < 0.0 ? -(num / den) : num / den;
}

/* Rows of u (k x n) given the rank correlation of a lower Cholesky factor (k x k): to
 * normals (u kept within [eps, 1 - eps]), mixed, and, with uniform, back through the
 * normal CDF (without it, the mixed normals: scores whose order is all a Latin hypercube
 * reads). The quantiles are computed in two passes: every point by the central formula
 * (no branches: this vectorises), then the points beyond it (about 15%) again with
 * normal_quantile, the same numbers as one pass. */
MULTIVERSION EXPORT int gaussian_copula(const double *u, const double *factor, int64_t k,
                                        int64_t n, int64_t uniform, double *out)
{
    const double eps = 2.220446049250313e-16;
    double *RESTRICT z = scratch(k * n, sizeof(double));
    if (!z)
        return -1;
    for (int64_t i = 0; i < k * n; i++) {
        double p = u[i] < eps ? eps : (u[i] > 1.0 - eps ? 1.0 - eps : u[i]);
        z[i] = normal_quantile_central(p - 0.5);
    }
    for (int64_t i = 0; i < k * n; i++) {
        double p = u[i] < eps ? eps : (u[i] > 1.0 - eps ? 1.0 - eps : u[i]);
        if (fabs(p - 0.5) > 0.425)
            z[i] = normal_quantile(p);
    }
    for (int64_t r = 0; r < k; r++)
        weighted_sum(factor + r * k, z, r + 1, n, out + r * n);
    if (uniform)
        for (int64_t i = 0; i < k * n; i++)
            out[i] = 0.5 * erfc(-out[i] / M_SQRT2);
    free(z);
    return 0;
}

/* ---- Iman and Conover's reordering ------------------------------------------------------ */

/* idx: 0..n-1 in the order of x, ties in index order (NumPy's stable argsort), for finite
 * x: a bucket per floor(n g(x)), clamped to [0, n - 1] (so the buckets are in order
 * whatever the values), filled in index order, then an insertion sort that moves a value
 * only past larger ones (so only within its bucket). g is x for uniforms in [0, 1) and,
 * for standard normal scores (normal), (1 + c x / sqrt(1 + (c x)^2)) / 2, increasing
 * from 0 to 1 like the normal CDF and as steep at 0 (c = 0.8), so that the buckets hold
 * about one value each (1.3 on average at most, near x = 1). The buckets only make the
 * sort quick: any increasing g gives the same order. at: n doubles of scratch. */
static void stable_order(const double *RESTRICT x, int64_t n, int normal, int64_t *count,
                         int64_t *idx, double *RESTRICT at)
{
    if (normal)
        for (int64_t i = 0; i < n; i++) { /* no branches: this vectorises */
            double cx = 0.8 * x[i];
            at[i] = (0.5 + 0.5 * (cx / sqrt(1.0 + cx * cx))) * (double)n;
        }
    else
        for (int64_t i = 0; i < n; i++)
            at[i] = x[i] * (double)n;
#define BUCKET(t) ((t) >= 1.0 ? ((t) < (double)n ? (int64_t)(t) : n - 1) : 0)
    for (int64_t b = 0; b <= n; b++)
        count[b] = 0;
    for (int64_t i = 0; i < n; i++)
        count[BUCKET(at[i]) + 1]++;
    for (int64_t b = 0; b < n; b++)
        count[b + 1] += count[b];
    for (int64_t i = 0; i < n; i++)
        idx[count[BUCKET(at[i])]++] = i;
#undef BUCKET
    for (int64_t i = 1; i < n; i++) {
        int64_t cur = idx[i], j = i;
        for (; j > 0 && x[idx[j - 1]] > x[cur]; j--)
            idx[j] = idx[j - 1];
        idx[j] = cur;
    }
}

/* Row r of out: row r of values sorted, put in the rank order of row r of scores
 * (out[argsort(scores)] = sort(values), both stable; finite values). The values are
 * uniforms in [0, 1), the scores too or (normal) standard normal; other finite numbers
 * give the same result, more slowly. */
MULTIVERSION EXPORT int rank_reorder_rows(const double *values, const double *scores,
                                          int64_t rows, int64_t n, int64_t normal,
                                          double *out)
{
    int64_t *work = scratch(4 * n + 1, sizeof(int64_t)); /* 8 bytes each: a double too */
    if (!work)
        return -1;
    int64_t *count = work, *by_value = work + n + 1, *by_score = work + 2 * n + 1;
    double *at = (double *)(work + 3 * n + 1);
    for (int64_t r = 0; r < rows; r++) {
        const double *v = values + r * n, *s = scores + r * n;
        double *o = out + r * n;
        stable_order(v, n, 0, count, by_value, at);
        stable_order(s, n, normal != 0, count, by_score, at);
        for (int64_t t = 0; t < n; t++)
            o[by_score[t]] = v[by_value[t]];
    }
    free(work);
    return 0;
}

/* ---- calendar: cumulative working time is piecewise linear in calendar time ---------- */

/* np.interp(t, kt, kw) */
static inline double work_at(const double *kt, const double *kw, int64_t m, double t)
{
    if (t < kt[0])
        return kw[0];
    if (t >= kt[m - 1])
        return kw[m - 1];
    int64_t lo = 0, hi = m - 1; /* kt[lo] <= t < kt[hi] */
    while (hi - lo > 1) {
        int64_t mid = (lo + hi) / 2;
        if (kt[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (kt[lo] == t)
        return kw[lo];
    double slope = (kw[lo + 1] - kw[lo]) / (kt[lo + 1] - kt[lo]);
    return slope * (t - kt[lo]) + kw[lo];
}

/* calendar time from working time: np.searchsorted(kw, w, side) then the segment's line */
static inline double time_at(const double *kt, const double *kw, int64_t m, double w,
                             int right)
{
    int64_t lo = 0, hi = m; /* first index with kw[i] > w (right) or >= w (left) */
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (right ? kw[mid] <= w : kw[mid] < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t i = lo < 1 ? 1 : (lo > m - 1 ? m - 1 : lo);
    double w0 = kw[i - 1], w1 = kw[i], t0 = kt[i - 1], t1 = kt[i];
    double slope = w1 > w0 ? (t1 - t0) / (w1 - w0) : 0.0;
    return t0 + (w - w0) * slope;
}

static inline double earliest_time(const double *kt, const double *kw, int64_t m, double w)
{
    return w <= 0 ? 0.0 : time_at(kt, kw, m, w, 0);
}

EXPORT void calendar_work(const double *kt, const double *kw, int64_t m, int64_t n,
                          const double *t, double *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = work_at(kt, kw, m, t[i]);
}

EXPORT void calendar_time(const double *kt, const double *kw, int64_t m, int64_t n,
                          const double *w, double *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = earliest_time(kt, kw, m, w[i]);
}

/* ---- the network --------------------------------------------------------------------- */

/* link types: finish-to-start, start-to-start, finish-to-finish, start-to-finish */
enum { LINK_FS = 0, LINK_SS = 1, LINK_FF = 2, LINK_SF = 3 };

/* start of workstream j in every iteration: the latest of what its links allow, not
 * before earliest[j] nor 0; an actual start pinned[j] (not NaN) overrides them. A link
 * from p with lag g allows FS: finish[p] + g; SS: start[p] + g; FF: the start whose
 * finish (d, through the calendar) is finish[p] + g; SF: the same from start[p] + g.
 * start is read only for SS and SF links (then it holds every row), d only for FF, SF. */
static void start_row(int64_t j, const double *finish, const double *start, const double *d,
                      int64_t n, const int64_t *first, const int64_t *pred, const double *lag,
                      const int64_t *kind, const double *earliest, const double *pinned,
                      const double *kt, const double *kw, int64_t knots, double *out)
{
    if (!isnan(pinned[j])) {
        for (int64_t i = 0; i < n; i++)
            out[i] = pinned[j];
        return;
    }
    double floor_ = earliest[j] > 0 ? earliest[j] : 0.0;
    for (int64_t i = 0; i < n; i++)
        out[i] = floor_;
    for (int64_t q = first[j]; q < first[j + 1]; q++) {
        int64_t k = kind[q];
        const double *f = (k == LINK_SS || k == LINK_SF ? start : finish) + pred[q] * n;
        double gap = lag[q];
        if (k == LINK_FS || k == LINK_SS) {
            for (int64_t i = 0; i < n; i++) {
                double s = f[i] + gap;
                out[i] = out[i] > s ? out[i] : s;
            }
        } else if (knots == 0) {
            for (int64_t i = 0; i < n; i++) {
                double x = f[i] + gap;
                double s = x - d[i];
                out[i] = out[i] > s ? out[i] : s;
            }
        } else {
            for (int64_t i = 0; i < n; i++) {
                double x = f[i] + gap;
                double s = earliest_time(kt, kw, knots, work_at(kt, kw, knots, x) - d[i]);
                out[i] = out[i] > s ? out[i] : s;
            }
        }
    }
}

/* whether any link is of type a or b */
static int any_link(const int64_t *kind, int64_t links, int64_t a, int64_t b)
{
    for (int64_t q = 0; q < links; q++)
        if (kind[q] == a || kind[q] == b)
            return 1;
    return 0;
}

MULTIVERSION EXPORT void start_rows(const double *finish, const double *duration, int64_t m,
                                    int64_t n, const int64_t *order, const int64_t *first,
                                    const int64_t *pred, const double *lag, const int64_t *kind,
                                    const double *earliest, const double *pinned,
                                    const double *kt, const double *kw, int64_t knots,
                                    double *start)
{
    for (int64_t o = 0; o < m; o++) {
        int64_t j = order[o];
        start_row(j, finish, start, duration + j * n, n, first, pred, lag, kind, earliest,
                  pinned, kt, kw, knots, start + j * n);
    }
}

MULTIVERSION EXPORT int forward_rows(const double *duration, int64_t m, int64_t n,
                                     const int64_t *order, const int64_t *first,
                                     const int64_t *pred, const double *lag,
                                     const int64_t *kind, const double *earliest,
                                     const double *pinned, const double *kt, const double *kw,
                                     int64_t knots, double *finish)
{
    /* every row's start is kept when a link reads one (SS, SF); else one row's */
    int every = any_link(kind, first[m], LINK_SS, LINK_SF);
    double *starts = scratch(every ? m * n : n, sizeof(double));
    if (!starts)
        return -1;
    for (int64_t o = 0; o < m; o++) {
        int64_t j = order[o];
        const double *d = duration + j * n;
        double *start = every ? starts + j * n : starts;
        start_row(j, finish, starts, d, n, first, pred, lag, kind, earliest, pinned, kt, kw,
                  knots, start);
        double *f = finish + j * n;
        if (knots == 0) {
            for (int64_t i = 0; i < n; i++)
                f[i] = start[i] + d[i];
        } else {
            for (int64_t i = 0; i < n; i++)
                f[i] = earliest_time(kt, kw, knots, work_at(kt, kw, knots, start[i]) + d[i]);
        }
    }
    free(starts);
    return 0;
}

/* ---- risks switched off: the same iterations again, only what they can change ------- */

/* Finishes of the workstreams down[0..nd) (in topological order) in the iterations cols
 * (k of them), scheduled again on the working durations `duration` (m x n), except that a
 * row with hit_row[q] >= 0 works dur_hit[hit_row[q]] (rows x k) instead; a predecessor p
 * outside them (local[p] < 0) keeps its finish from `finish` (m x n), one inside is read
 * from `out`. Finish-to-start links only (CSR over down: first, pred as workstream ids,
 * lag), earliest and pinned per row of down; the rule is forward_rows's, so every number
 * equals a forward pass of the whole network on those durations. out: nd x k; end: the
 * latest finish of the workstreams sinks[0..ns) (ns >= 1), as the new schedule has them. */
MULTIVERSION EXPORT void reschedule_cols(const double *RESTRICT duration,
                                         const double *RESTRICT finish,
                                         int64_t m, int64_t n, const int64_t *cols, int64_t k,
                                         const int64_t *down, int64_t nd, const int64_t *local,
                                         const int64_t *first, const int64_t *pred,
                                         const double *lag, const double *earliest,
                                         const double *pinned, const int64_t *hit_row,
                                         const double *dur_hit, const double *kt,
                                         const double *kw, int64_t knots, double *RESTRICT out,
                                         const int64_t *sinks, int64_t ns, double *end)
{
    (void)m;
    for (int64_t q = 0; q < nd; q++) {
        double *o = out + q * k;
        if (!isnan(pinned[q])) {
            for (int64_t i = 0; i < k; i++)
                o[i] = pinned[q];
        } else {
            double floor_ = earliest[q] > 0 ? earliest[q] : 0.0;
            for (int64_t i = 0; i < k; i++)
                o[i] = floor_;
            for (int64_t l = first[q]; l < first[q + 1]; l++) {
                int64_t p = pred[l];
                double gap = lag[l];
                if (local[p] >= 0) {
                    const double *f = out + local[p] * k;
                    for (int64_t i = 0; i < k; i++) {
                        double s = f[i] + gap;
                        o[i] = o[i] > s ? o[i] : s;
                    }
                } else {
                    const double *f = finish + p * n;
                    for (int64_t i = 0; i < k; i++) {
                        double s = f[cols[i]] + gap;
                        o[i] = o[i] > s ? o[i] : s;
                    }
                }
            }
        }
        const double *d = duration + down[q] * n;
        const double *h = hit_row[q] >= 0 ? dur_hit + hit_row[q] * k : NULL;
        if (knots == 0 && h) { /* (each case its own loop: these vectorise) */
            for (int64_t i = 0; i < k; i++)
                o[i] = o[i] + h[i];
        } else if (knots == 0) {
            for (int64_t i = 0; i < k; i++)
                o[i] = o[i] + d[cols[i]];
        } else {
            for (int64_t i = 0; i < k; i++) {
                double w = h ? h[i] : d[cols[i]];
                o[i] = earliest_time(kt, kw, knots, work_at(kt, kw, knots, o[i]) + w);
            }
        }
    }
    for (int64_t s = 0; s < ns; s++) {
        int64_t j = sinks[s];
        const double *f = local[j] >= 0 ? out + local[j] * k : NULL, *g = finish + j * n;
        for (int64_t i = 0; i < k; i++) {
            double x = f ? f[i] : g[cols[i]];
            end[i] = s == 0 || x > end[i] ? x : end[i];
        }
    }
}

/* ---- levelling: workstreams wait for limited people ----------------------------------- */

/* finish of a workstream of working duration d started at s */
static inline double finish_from(const double *kt, const double *kw, int64_t knots, double s,
                                 double d)
{
    return knots == 0 ? s + d : earliest_time(kt, kw, knots, work_at(kt, kw, knots, s) + d);
}

/* capacity of role r at time t: cap_fte[i] from cap_time[i] on (the first is -inf) */
static inline double capacity_at(const int64_t *cap_first, const double *cap_time,
                                 const double *cap_fte, int64_t r, double t)
{
    int64_t i = cap_first[r];
    while (i + 1 < cap_first[r + 1] && cap_time[i + 1] <= t)
        i++;
    return cap_fte[i];
}

/* whether workstream j fits in iteration i when run over [c, f): for every role r it
 * needs, at every moment one of the placed workstreams that need r (users[r * m ...],
 * used[r] of them, in the order placed) starts or r's capacity changes in [c, f) (and at
 * c), the FTE of those running then plus its own stay within the capacity (to
 * LEVEL_TOLERANCE). It surely does when all of them that overlap [c, f) together fit the
 * least capacity there: that is checked first. */
#define LEVEL_TOLERANCE 1e-9
static int fits(int64_t j, int64_t i, double c, double f, int64_t m, int64_t n,
                int64_t roles, const double *demand, const int64_t *users,
                const int64_t *used, const int64_t *cap_first, const double *cap_time,
                const double *cap_fte, const double *start, const double *finish,
                int64_t *overlap)
{
    for (int64_t r = 0; r < roles; r++) {
        double need = demand[r * m + j];
        if (!(need > 0))
            continue;
        const int64_t *mine = users + r * m;
        int64_t count = 0; /* the placed users of r that overlap [c, f), in order */
        double total = 0.0;
        for (int64_t a = 0; a < used[r]; a++) {
            int64_t k = mine[a];
            if (start[k * n + i] < f && finish[k * n + i] > c) {
                total += demand[r * m + k];
                overlap[count++] = k;
            }
        }
        double least = capacity_at(cap_first, cap_time, cap_fte, r, c);
        for (int64_t q = cap_first[r] + 1; q < cap_first[r + 1]; q++)
            if (cap_time[q] > c && cap_time[q] < f && cap_fte[q] < least)
                least = cap_fte[q];
        if (total + need <= least + LEVEL_TOLERANCE)
            continue;
        /* only the overlapping ones can run at a moment of [c, f) */
        int64_t points = 1 + count + (cap_first[r + 1] - cap_first[r] - 1);
        for (int64_t q = 0; q < points; q++) {
            double p = q == 0 ? c : q <= count ? start[overlap[q - 1] * n + i]
                                               : cap_time[cap_first[r] + (q - count)];
            if (!(p >= c && p < f))
                continue;
            double load = 0.0;
            for (int64_t a = 0; a < count; a++) {
                int64_t k = overlap[a];
                if (start[k * n + i] <= p && p < finish[k * n + i])
                    load += demand[r * m + k];
            }
            if (!(load + need <= capacity_at(cap_first, cap_time, cap_fte, r, p) +
                                 LEVEL_TOLERANCE))
                return 0;
        }
    }
    return 1;
}

/* The forward pass with levelling: workstreams are placed in ``order`` (the priority), each
 * at the earliest time at or after the start its links allow (start_row) at which it fits
 * beside those already placed (fits); that time is the allowed start, a placed workstream's
 * finish or a capacity change, so those are the candidates tried. An actual start (pinned)
 * is kept. Every row's start and finish are written. */
MULTIVERSION EXPORT int level_rows(const double *duration, int64_t m, int64_t n,
                                   const int64_t *order, const int64_t *first,
                                   const int64_t *pred, const double *lag, const int64_t *kind,
                                   const double *earliest, const double *pinned,
                                   const double *kt, const double *kw, int64_t knots,
                                   int64_t roles, const double *demand,
                                   const int64_t *cap_first, const double *cap_time,
                                   const double *cap_fte, double *start, double *finish)
{
    /* per workstream: the placed ones sharing a role with it, and its roles' change
     * times; per role: the placed workstreams that need it, in the order placed */
    int64_t *sharing = scratch(m + 1, sizeof(int64_t));
    double *changes = scratch(cap_first[roles] + 1, sizeof(double));
    int64_t *users = scratch(roles * m + 1, sizeof(int64_t));
    int64_t *used = scratch(roles + 1, sizeof(int64_t));
    double *later = scratch(m + cap_first[roles] + 1, sizeof(double));
    int64_t *overlap = scratch(m + 1, sizeof(int64_t));
    double *end_at = scratch(2 * n, sizeof(double)), *total = end_at ? end_at + n : NULL;
    uint8_t *sure = scratch(n, sizeof(uint8_t));
    if (!sharing || !changes || !users || !used || !later || !overlap || !end_at || !sure) {
        free(overlap);
        free(end_at);
        free(sure);
        free(sharing);
        free(changes);
        free(users);
        free(used);
        free(later);
        return -1;
    }
    for (int64_t r = 0; r < roles; r++)
        used[r] = 0;
    for (int64_t o = 0; o < m; o++) {
        int64_t j = order[o];
        const double *d = duration + j * n;
        double *s = start + j * n, *f = finish + j * n;
        start_row(j, finish, start, d, n, first, pred, lag, kind, earliest, pinned, kt, kw,
                  knots, s);
        int needs = 0;
        for (int64_t r = 0; r < roles; r++)
            needs |= demand[r * m + j] > 0;
        if (needs && isnan(pinned[j])) {
            int64_t shared = 0, changed = 0;
            for (int64_t a = 0; a < o; a++) {
                int64_t k = order[a], shares = 0;
                for (int64_t r = 0; r < roles; r++)
                    shares |= demand[r * m + j] > 0 && demand[r * m + k] > 0;
                if (shares)
                    sharing[shared++] = k;
            }
            for (int64_t r = 0; r < roles; r++)
                if (demand[r * m + j] > 0)
                    for (int64_t q = cap_first[r] + 1; q < cap_first[r + 1]; q++)
                        changes[changed++] = cap_time[q];
            /* the quick check of fits at the allowed start, row by row (a loop over the
             * iterations reads each placed workstream's row in order: fast, where one
             * iteration at a time would jump between rows) */
            for (int64_t i = 0; i < n; i++) {
                end_at[i] = finish_from(kt, kw, knots, s[i], d[i]);
                sure[i] = 1;
            }
            for (int64_t r = 0; r < roles; r++) {
                double need = demand[r * m + j];
                if (!(need > 0))
                    continue;
                for (int64_t i = 0; i < n; i++)
                    total[i] = 0.0;
                for (int64_t a = 0; a < used[r]; a++) {
                    int64_t k = users[r * m + a];
                    double dk = demand[r * m + k];
                    const double *sk = start + k * n, *fk = finish + k * n;
                    for (int64_t i = 0; i < n; i++)
                        if (sk[i] < end_at[i] && fk[i] > s[i])
                            total[i] += dk;
                }
                for (int64_t i = 0; i < n; i++) {
                    double least = capacity_at(cap_first, cap_time, cap_fte, r, s[i]);
                    for (int64_t q = cap_first[r] + 1; q < cap_first[r + 1]; q++)
                        if (cap_time[q] > s[i] && cap_time[q] < end_at[i] && cap_fte[q] < least)
                            least = cap_fte[q];
                    if (!(total[i] + need <= least + LEVEL_TOLERANCE))
                        sure[i] = 0;
                }
            }
            for (int64_t i = 0; i < n; i++) {
                double ready = s[i];
                if (sure[i] || fits(j, i, ready, end_at[i], m, n, roles, demand, users, used,
                                    cap_first, cap_time, cap_fte, start, finish, overlap))
                    continue; /* every other candidate is later */
                /* the later candidates, earliest first: the first that fits is the start */
                int64_t count = 0;
                for (int64_t q = 0; q < shared + changed; q++) {
                    double t = q < shared ? finish[sharing[q] * n + i] : changes[q - shared];
                    if (!(t > ready))
                        continue; /* that is the allowed start, which does not fit */
                    int64_t at = count++;
                    while (at > 0 && later[at - 1] > t) {
                        later[at] = later[at - 1];
                        at--;
                    }
                    later[at] = t;
                }
                double best = INFINITY;
                for (int64_t q = 0; q < count; q++) {
                    double c = later[q];
                    if (fits(j, i, c, finish_from(kt, kw, knots, c, d[i]), m, n, roles, demand,
                             users, used, cap_first, cap_time, cap_fte, start, finish,
                             overlap)) {
                        best = c;
                        break;
                    }
                }
                s[i] = best;
            }
        }
        for (int64_t i = 0; i < n; i++)
            f[i] = finish_from(kt, kw, knots, s[i], d[i]);
        for (int64_t r = 0; r < roles; r++)
            if (demand[r * m + j] > 0)
                users[r * m + used[r]++] = j;
    }
    free(sharing);
    free(changes);
    free(users);
    free(used);
    free(later);
    free(overlap);
    free(end_at);
    free(sure);
    return 0;
}

/* The backward pass, from successor s by a link of lag g: FS: late finish <= late start[s]
 * - g; FF: late finish <= late finish[s] - g; SS: late start <= late start[s] - g; SF: late
 * start <= late finish[s] - g. A finish that no FS link of lag >= 0 holds back (no
 * successor, or only other links) is also held by the end. The late start is the late
 * finish less the duration through the calendar; a bound on it from SS and SF links also
 * bounds the late finish (that start plus the duration, as the forward pass finishes). */
MULTIVERSION EXPORT int critical_rows(const double *duration, const double *finish,
                                      const double *end, int64_t m, int64_t n,
                                      const int64_t *order, const int64_t *first,
                                      const int64_t *succ, const double *lag,
                                      const int64_t *kind, const double *kt, const double *kw,
                                      int64_t knots, double rtol, double *late_start,
                                      uint8_t *critical)
{
    /* late finish, tolerance and the late-start bound (n each); every row's late finish
     * when a link reads one (FF, SF) */
    int every = any_link(kind, first[m], LINK_FF, LINK_SF);
    double *late_finish = scratch(3 * n + (every ? m * n : 0), sizeof(double));
    if (!late_finish)
        return -1;
    double *tol = late_finish + n, *late_begin = late_finish + 2 * n;
    double *finishes = every ? late_finish + 3 * n : NULL;
    for (int64_t i = 0; i < n; i++)
        tol[i] = rtol * (end[i] > 1.0 ? end[i] : 1.0);
    for (int64_t o = m - 1; o >= 0; o--) {
        int64_t j = order[o];
        int closed = 0, begins = 0;
        for (int64_t q = first[j]; q < first[j + 1]; q++) {
            closed |= kind[q] == LINK_FS && lag[q] >= 0;
            begins |= kind[q] == LINK_SS || kind[q] == LINK_SF;
        }
        for (int64_t i = 0; i < n; i++)
            late_finish[i] = closed ? INFINITY : end[i];
        if (begins)
            for (int64_t i = 0; i < n; i++)
                late_begin[i] = INFINITY;
        for (int64_t q = first[j]; q < first[j + 1]; q++) {
            int64_t k = kind[q];
            const double *ls = (k == LINK_FF || k == LINK_SF ? finishes : late_start) +
                               succ[q] * n;
            double *bound = k == LINK_FS || k == LINK_FF ? late_finish : late_begin;
            double gap = lag[q];
            for (int64_t i = 0; i < n; i++) {
                double v = ls[i] - gap;
                bound[i] = bound[i] < v ? bound[i] : v;
            }
        }
        const double *f = finish + j * n, *d = duration + j * n;
        uint8_t *c = critical + j * n;
        double *ls = late_start + j * n;
        if (knots == 0) {
            for (int64_t i = 0; i < n; i++)
                ls[i] = late_finish[i] - d[i];
        } else {
            for (int64_t i = 0; i < n; i++)
                ls[i] = time_at(kt, kw, knots, work_at(kt, kw, knots, late_finish[i]) - d[i], 1);
        }
        if (begins) {
            for (int64_t i = 0; i < n; i++) {
                double b = late_begin[i], v;
                ls[i] = ls[i] < b ? ls[i] : b;
                if (knots == 0)
                    v = b + d[i];
                else
                    v = earliest_time(kt, kw, knots, work_at(kt, kw, knots, b) + d[i]);
                late_finish[i] = late_finish[i] < v ? late_finish[i] : v;
            }
        }
        for (int64_t i = 0; i < n; i++)
            c[i] = late_finish[i] - f[i] <= tol[i];
        if (every)
            memcpy(finishes + j * n, late_finish, sizeof(double) * (size_t)n);
    }
    free(late_finish);
    return 0;
}

/* ---- people: the FTE in use each week ------------------------------------------------- */

/* The FTE in use in each week [first + w, first + w + 1) and iteration, in row w of fte_week
 * ((last - first + 2) x n; rows last - first and on are workspace) (the definition:
 * riskmodel.analysis.resources._weekly): for each of the k rows listed in rows, in order,
 * its start and then its finish (weights fte[j] and -fte[j]) put each iteration's edge x
 * (x below 0 counts as 0) in week w = min(floor(x), last): weight * (1 - frac) in row
 * w - first and weight * frac in the next, frac = x - w; a running sum down the rows then
 * gives the FTE, and what is below zero_below is set to 0. Returns -1 at an edge before
 * week first (or NaN), after which fte_week holds no meaning. Python keeps last <= 2^31. */
MULTIVERSION EXPORT int fte_by_week(const double *start, const double *finish, int64_t m,
                                    int64_t n, const int64_t *rows, int64_t k,
                                    const double *fte, int64_t first, int64_t last,
                                    double zero_below, double *fte_week)
{
    (void)m; /* the rows are checked against it in Python */
    int64_t weeks = last - first;
    /* a few hundred columns at a time, whose rows stay in the cache: each iteration's
     * numbers are its own, so they come out the same */
    for (int64_t c0 = 0; c0 < n; c0 += 512) {
        int64_t c1 = n - c0 < 512 ? n : c0 + 512;
        for (int64_t w = 0; w < weeks + 2; w++)
            memset(fte_week + w * n + c0, 0, sizeof(double) * (size_t)(c1 - c0));
        for (int64_t r = 0; r < k; r++) {
            int64_t j = rows[r];
            for (int side = 0; side < 2; side++) {
                const double *x = (side ? finish : start) + j * n;
                double weight = side ? -fte[j] : fte[j];
                for (int64_t i = c0; i < c1; i++) {
                    double e = (x[i] >= 0.0 || x[i] != x[i]) ? x[i] : 0.0; /* np.maximum */
                    if (!(e >= (double)first))
                        return -1;
                    double w = floor(e);
                    if (!(w <= (double)last))
                        w = (double)last;
                    double frac = e - w;
                    int64_t row = (int64_t)w - first; /* w <= last <= 2^31: exact */
                    if (row < 0 || row > weeks)
                        return -1;
                    double *at = fte_week + row * n + i;
                    at[0] += weight * (1.0 - frac);
                    at[n] += weight * frac;
                }
            }
        }
        for (int64_t w = 1; w < weeks; w++) {
            double *row = fte_week + w * n;
            for (int64_t i = c0; i < c1; i++)
                row[i] = row[i - n] + row[i];
        }
        for (int64_t w = 0; w < weeks; w++) {
            double *row = fte_week + w * n;
            for (int64_t i = c0; i < c1; i++)
                if (row[i] < zero_below)
                    row[i] = 0.0;
        }
    }
    return 0;
}

/* ---- a module Python can import (the functions are reached through ctypes) ----------- */

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT, "_kernels", "Compiled loops of riskmodel.sim (use kernels.py).",
    -1, NULL, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&kernels_module); }
