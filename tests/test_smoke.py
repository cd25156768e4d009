def test_front_page_lists_spaces(client, create_space):
    create_space(name_ja="テスト室", name_en="Test room")
    page = client.get("/").get_data(as_text=True)
    assert "テスト室" in page
