# Solutions to the exercises of notebooks/05_cnn_ideas.ipynb (make solutions fills them in).

# %% exercise 05.1
# Exercise 05.1: a convolution with several input and output channels, written with loops
def conv2d_loops(x, weight, bias):
    c_out, c_in, kh, kw = weight.shape
    out = torch.empty(c_out, x.shape[1] - kh + 1, x.shape[2] - kw + 1)
    for o in range(c_out):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                window = x[:, i:i + kh, j:j + kw]                 # (C_in, kh, kw): all input channels
                out[o, i, j] = (window * weight[o]).sum() + bias[o]
    return out

# %% exercise 05.2
# Exercise 05.2: a convolution's output side from the input side, kernel, stride and padding
def conv_output_size(size, kernel, stride=1, padding=0):
    # the padded side holds (size + 2*padding - kernel) // stride further window positions after the first
    return (size + 2 * padding - kernel) // stride + 1

# %% exercise 05.3
# Exercise 05.3: max pooling by hand, with loops
def max_pool_by_hand(fmap, size=2):
    out = torch.empty(fmap.shape[0] // size, fmap.shape[1] // size)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = fmap[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
    return out
