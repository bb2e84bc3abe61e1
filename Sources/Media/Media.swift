import Tensors
// Media: video decode/encode through FFmpeg, PNG through libpng. See issue 4.

