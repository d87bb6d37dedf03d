# Solutions to the exercises of notebooks/01_model_concept.ipynb (make solutions fills them in).

# %% exercise 01.1
# Exercise 01.1: the gradient by hand, for H(x) = w * x + b
def grads_with_bias(w, b, x, y):
    gap = w * x + b - y  # (N,)
    return (2 * gap * x).mean(), (2 * gap).mean()

# %% exercise 01.2
# Exercise 01.2: one step of gradient descent, as in the loop above
def gradient_step(w, x, y, lr):
    return w - lr * grad_by_hand(w, x, y)

# %% exercise 01.3
# Exercise 01.3: the model H(x) = w * x + b as an nn.Module, with w and b starting at 0
class ScoreModelWithBias(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.w * x + self.b

# %% exercise 01.4
# Exercise 01.4: binary cross-entropy by hand, from probabilities p and labels y (both shape (N,))
def bce_by_hand(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
