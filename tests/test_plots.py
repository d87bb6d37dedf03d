import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse.plots import plot_confusion_matrix, plot_history, show_image, show_images, show_misclassified  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_show_image_uses_given_axes_and_accepts_shapes():
    _, ax = plt.subplots()
    assert show_image(torch.rand(1, 5, 5), ax=ax, title="x") is ax
    assert ax.get_title() == "x"
    assert show_image(torch.rand(3, 5, 5) * 4 - 2).images[0].get_array().shape == (5, 5, 3)
    assert show_image(torch.randint(0, 255, (5, 5), dtype=torch.uint8)) is not None


def test_show_images_grid_and_labels():
    axes = show_images(torch.rand(5, 1, 4, 4), [0, 1, 2, 1, 0], ncols=3, class_names=["a", "b", "c"])
    assert axes.shape == (2, 3)
    assert [ax.get_title() for ax in axes.flat[:5]] == ["a", "b", "c", "b", "a"]
    with pytest.raises(ValueError):
        show_images([])


def test_plot_history_draws_every_curve():
    h = {"train_loss": [1.0, 0.5], "train_acc": [0.5, 0.8], "val_loss": [1.1, 0.6], "val_acc": [0.4, 0.7]}
    _, ax = plt.subplots()
    assert plot_history(h, ax=ax) is ax
    assert len(ax.get_legend().get_texts()) == 4


def test_confusion_matrix_plot_writes_counts():
    ax = plot_confusion_matrix(torch.tensor([[5, 1], [2, 7]]), ["cat", "dog"])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]


def test_row_normalised_confusion_matrix_shows_fractions():
    counts = torch.tensor([[5, 1], [2, 6]])
    ax = plot_confusion_matrix(counts / counts.sum(dim=1, keepdim=True))  # each row sums to 1
    assert [t.get_text() for t in ax.texts] == ["0.83", "0.17", "0.25", "0.75"]
    assert [t.get_text() for t in plot_confusion_matrix(counts.float()).texts] == ["5", "1", "2", "6"]


def test_show_misclassified_picks_only_wrong_ones():
    images = torch.rand(4, 1, 4, 4)
    axes = show_misclassified(images, torch.tensor([0, 1, 1, 0]), torch.tensor([0, 0, 1, 1]), ["a", "b"], ncols=2)
    assert [ax.get_title() for ax in axes.flat] == ["b\n(a)", "a\n(b)"]
    with pytest.raises(ValueError, match="no misclassified"):
        show_misclassified(images, torch.zeros(4), torch.zeros(4))
