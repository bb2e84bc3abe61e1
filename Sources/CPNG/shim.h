#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

/*
 * libpng reports errors by longjmp to a setjmp point. Swift cannot set such a point, and a
 * longjmp across Swift frames is undefined, so every libpng call that may fail runs inside one
 * of the C functions below, each with its own setjmp. Errors come back as a return code plus
 * a message kept in the reader (libpng's own text, e.g. "IDAT: CRC error").
 */

typedef struct cpng_reader {
    png_structp png;
    png_infop info;
    FILE *file;
    char message[256];
} cpng_reader;

static inline void cpng_error_fn(png_structp png, png_const_charp text) {
    cpng_reader *r = (cpng_reader *)png_get_error_ptr(png);
    snprintf(r->message, sizeof r->message, "%s", text ? text : "unknown libpng error");
    png_longjmp(png, 1);
}

/* Warnings (e.g. "iCCP: known incorrect sRGB profile") are not failures; keep stderr quiet. */
static inline void cpng_warning_fn(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

/// Opens `path` and checks the 8-byte PNG signature. Returns NULL with `err` filled on failure;
/// `*not_png` is set to 1 when the file opened but is not a PNG.
static inline cpng_reader *cpng_reader_open(const char *path, char *err, size_t errlen, int *not_png) {
    *not_png = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    unsigned char sig[8];
    size_t got = fread(sig, 1, 8, f);
    if (got != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(f);
        *not_png = 1;
        snprintf(err, errlen, "the file does not start with the PNG signature");
        return NULL;
    }
    cpng_reader *r = (cpng_reader *)calloc(1, sizeof(cpng_reader));
    if (!r) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->file = f;
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, cpng_error_fn, cpng_warning_fn);
    if (r->png) r->info = png_create_info_struct(r->png);
    if (!r->png || !r->info) {
        if (r->png) png_destroy_read_struct(&r->png, NULL, NULL);
        fclose(f);
        free(r);
        snprintf(err, errlen, "libpng could not allocate its state");
        return NULL;
    }
    png_init_io(r->png, f);
    png_set_sig_bytes(r->png, 8);
    /* Dimensions are checked by the caller with a clear message; lift libpng's own cap so
       the caller sees the declared size instead of a generic "Image width exceeds user limit". */
    png_set_user_limits(r->png, 0x7fffffff, 0x7fffffff);
    return r;
}

/// Reads the header chunks up to the first IDAT. Returns 0, or -1 with the message set.
static inline int cpng_reader_read_info(cpng_reader *r, uint32_t *width, uint32_t *height,
                                        int *bit_depth, int *color_type, int *interlace) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    png_read_info(r->png, r->info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0, ilace = 0;
    png_get_IHDR(r->png, r->info, &w, &h, &depth, &ctype, &ilace, NULL, NULL);
    *width = w;
    *height = h;
    *bit_depth = depth;
    *color_type = ctype;
    *interlace = ilace;
    return 0;
}

/// Decodes the image as 8-bit RGB into `dst` (width*height*3 bytes, rows packed) after
/// cpng_reader_read_info. Palette is expanded, gray replicated, alpha and tRNS dropped, and
/// 16-bit samples keep their high byte (as PIL does). Interlaced images are de-interlaced.
/// Returns 0, or -1 with the message set.
static inline int cpng_reader_read_rgb8(cpng_reader *r, unsigned char *dst, size_t dst_size) {
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(r->png))) {
        free((void *)rows);
        return -1;
    }
    png_uint_32 w = png_get_image_width(r->png, r->info);
    png_uint_32 h = png_get_image_height(r->png, r->info);
    int ctype = png_get_color_type(r->png, r->info);
    int depth = png_get_bit_depth(r->png, r->info);
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
    if (depth == 16) png_set_strip_16(r->png);
    if (ctype & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(r->png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r->png);
    (void)png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    size_t rowbytes = png_get_rowbytes(r->png, r->info);
    if (rowbytes != (size_t)w * 3 || (size_t)h * rowbytes > dst_size) {
        snprintf(r->message, sizeof r->message,
                 "unexpected row size %zu after conversion to RGB (width %u)", rowbytes, (unsigned)w);
        return -1;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (h ? h : 1));
    if (!rows) {
        snprintf(r->message, sizeof r->message, "out of memory");
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = dst + (size_t)y * rowbytes;
    png_read_image(r->png, rows);
    png_read_end(r->png, NULL);
    free((void *)rows);
    return 0;
}

static inline const char *cpng_reader_message(const cpng_reader *r) { return r->message; }

static inline void cpng_reader_close(cpng_reader *r) {
    if (!r) return;
    png_destroy_read_struct(&r->png, &r->info, NULL);
    if (r->file) fclose(r->file);
    free(r);
}

/// Writes 8-bit RGB (rows packed, stride width*3) to `path` through the simplified write API,
/// which reports failure by return value. Returns 0, or -1 with `err` filled.
static inline int cpng_write_rgb8(const char *path, uint32_t width, uint32_t height,
                                  const unsigned char *rgb, char *err, size_t errlen) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&image, path, 0, rgb, (png_int_32)(width * 3), NULL)) {
        snprintf(err, errlen, "%s", image.message);
        png_image_free(&image);
        return -1;
    }
    return 0;
}
#endif
