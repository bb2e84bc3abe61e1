#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/log.h>

/// AVERROR_EOF does not import into Swift (macro built from a function-like macro).
static inline int cffmpeg_averror_eof(void) { return AVERROR_EOF; }
/// AVERROR(EAGAIN) likewise.
static inline int cffmpeg_averror_eagain(void) { return AVERROR(EAGAIN); }
/// AV_NOPTS_VALUE is an INT64_C() expression, which Swift cannot import.
static inline int64_t cffmpeg_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AVERROR(e) for a POSIX errno value (function-like macro).
static inline int cffmpeg_averror(int posix_errno) { return AVERROR(posix_errno); }
/// AVERROR_INVALIDDATA is built with FFERRTAG, which Swift cannot import.
static inline int cffmpeg_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
/// AVERROR_DECODER_NOT_FOUND likewise.
static inline int cffmpeg_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
#endif
