# Solutions to the exercises of notebooks/04_parameter_explosion.ipynb (make solutions fills them in).

# %% exercise 04.1
# Exercise 04.1: count an MLP's parameters from its layer sizes
def mlp_parameters(sizes):
    # nn.Linear(a, b): a*b weights and b biases, for each pair of neighbouring sizes
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))

# %% exercise 04.2
# Exercise 04.2: the memory a model's parameters take, in MB
def parameter_megabytes(model):
    return sum(p.numel() * p.element_size() for p in model.parameters()) / 1e6

# %% exercise 04.3
# Exercise 04.3: multiply-adds per image of an MLP, from its layer sizes
def mlp_multiply_adds(sizes):
    # one multiply-add per weight; biases are additions only
    return sum(a * b for a, b in zip(sizes, sizes[1:]))

# %% exercise 04.4
# Exercise 04.4: count a Conv2d layer's parameters from its sizes
def conv2d_parameters(in_channels, out_channels, kernel_size):
    # each filter: in_channels x k x k weights and one bias
    return out_channels * (in_channels * kernel_size * kernel_size + 1)
