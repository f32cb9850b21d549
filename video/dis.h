// dis.h — a C entry point to OpenCV's DIS optical flow (cv::DISOpticalFlow),
// which gocv v0.31.0 does not wrap.
#ifndef NEURALSTYLE_VIDEO_DIS_H
#define NEURALSTYLE_VIDEO_DIS_H
#ifdef __cplusplus
extern "C" {
#endif

// neuralstyle_dis_flow computes the flow from a to b (8-bit grey, rows × cols,
// contiguous) with the DIS preset (0 ultrafast, 1 fast, 2 medium) into out
// (rows × cols × 2 floats, u and v interleaved). It returns 0, or 1 with a
// message of at most errlen bytes in err when OpenCV throws.
int neuralstyle_dis_flow(const unsigned char *a, const unsigned char *b, int rows, int cols,
                         int preset, float *out, char *err, int errlen);

#ifdef __cplusplus
}
#endif
#endif
