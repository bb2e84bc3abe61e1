#!/usr/bin/env bash
# Builds a small static FFmpeg (5.1, Debian 12's version, so the same API as the shared one
# the normal build links) into .gpu-ffmpeg/ for the `reelflow` binary that travels to the GPU
# machine: Debian's shared FFmpeg pulls 207 MB of libraries (every codec Debian enables), over
# the device tool's 64 MiB. This one has what Reelflow's media code uses: H.264 (and a few
# common) decoders, libx264 (static, from Debian's libx264-dev) for MP4 output, the MP4/MOV,
# Matroska and image demuxers, the MP4 muxer, the file protocol and swscale.
# The .pc files list the private libraries in Libs, so SwiftPM's pkg-config links statically.
# No nasm here, so no hand-written assembly (decoding is slower; the GPU run decodes one clip).
# Needs network access to Debian's mirror (source package and libx264-dev); about 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
PREFIX="$ROOT/.gpu-ffmpeg"
grep -qx '/.gpu-ffmpeg/' .git/info/exclude 2>/dev/null || echo '/.gpu-ffmpeg/' >> .git/info/exclude
WORK=$(mktemp -d) && chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# The source package, through a deb-src list of its own (the machine's lists stay as they are).
sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > src.sources
mkdir -p lists/partial
APT=(-o Dir::Etc::SourceList="$WORK/src.sources" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$WORK/lists")
apt-get "${APT[@]}" update >/dev/null
apt-get "${APT[@]}" source --download-only ffmpeg >/dev/null 2>&1
apt-get download libx264-dev >/dev/null 2>&1
mkdir x264 && dpkg -x libx264-dev_*.deb x264
X264="$WORK/x264/usr"
tar xf ffmpeg_*.orig.tar.xz
cd ffmpeg-*/
sed -i "s|^prefix=.*|prefix=$X264|" "$X264"/lib/x86_64-linux-gnu/pkgconfig/x264.pc
PKG_CONFIG_PATH="$X264/lib/x86_64-linux-gnu/pkgconfig" ./configure --prefix="$PREFIX" \
  --enable-static --disable-shared --enable-pic --disable-x86asm --enable-gpl --disable-autodetect \
  --disable-programs --disable-doc --disable-network --disable-everything --disable-avdevice --disable-avfilter \
  --disable-swresample --disable-postproc \
  --enable-libx264 --enable-encoder=libx264 \
  --enable-decoder=h264,hevc,mpeg4,vp8,vp9,av1,mjpeg,prores,ffv1,rawvideo \
  --enable-parser=h264,hevc,mpeg4video,vp8,vp9,av1,mjpeg \
  --enable-demuxer=mov,matroska,avi,h264,hevc,image2,rawvideo \
  --enable-muxer=mp4,mov,matroska \
  --enable-protocol=file --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb \
  --extra-cflags="-I$X264/include" --extra-ldflags="-L$X264/lib/x86_64-linux-gnu" --extra-libs="-lpthread -lm -ldl" > configure.log || { tail -n 20 configure.log ffbuild/config.log; exit 1; }
make -j"$(nproc)" >/dev/null
make install >/dev/null
cp "$X264"/lib/x86_64-linux-gnu/libx264.a "$PREFIX/lib/"
# Static linking through pkg-config without --static: fold Libs.private into Libs.
for pc in "$PREFIX"/lib/pkgconfig/*.pc; do
  private=$(sed -n 's/^Libs.private: *//p' "$pc" | sed "s|-L[^ ]*x264[^ ]*||g")
  sed -i "s|^Libs: \(.*\)|Libs: \1 $private|; /^Libs.private:/d; /^Requires.private: *$/d; s|^Requires.private:|Requires:|" "$pc"
done
# SwiftPM puts each pkg-config -L before its -l: libpng's "-L/usr/lib/x86_64-linux-gnu", ahead of
# this prefix, would make -lavformat find Debian's shared FFmpeg. libpng is in the default
# search path anyway, so its .pc here has no -L.
sed 's|^Libs: .*|Libs: -lpng16|' /usr/lib/x86_64-linux-gnu/pkgconfig/libpng16.pc > "$PREFIX/lib/pkgconfig/libpng16.pc"
cp "$PREFIX/lib/pkgconfig/libpng16.pc" "$PREFIX/lib/pkgconfig/libpng.pc"  # Package.swift asks for "libpng"
echo "FFmpeg (static) in $PREFIX"
