// dis.cpp — see dis.h.
#include <cstring>
#include <exception>

#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

#include "dis.h"

extern "C" int neuralstyle_dis_flow(const unsigned char *a, const unsigned char *b, int rows, int cols,
                                    int preset, float *out, char *err, int errlen) {
    try {
        cv::Mat ma(rows, cols, CV_8UC1, const_cast<unsigned char *>(a));
        cv::Mat mb(rows, cols, CV_8UC1, const_cast<unsigned char *>(b));
        cv::Mat flow(rows, cols, CV_32FC2, out);
        cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(preset);
        dis->calc(ma, mb, flow);
        if (flow.data != reinterpret_cast<uchar *>(out)) {
            // calc reallocated: copy the result into the caller's buffer.
            std::memcpy(out, flow.ptr<float>(), sizeof(float) * 2 * rows * cols);
        }
        return 0;
    } catch (const std::exception &e) {
        std::strncpy(err, e.what(), errlen - 1);
        err[errlen - 1] = 0;
        return 1;
    }
}
